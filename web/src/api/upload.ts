import type { Attachment } from '../../../protocol/messages.js';
import type { ErrorBody } from '../../../protocol/errors.js';
import { api, ApiError } from './rest';

export interface UploadHandle<T = Attachment> {
  done: Promise<T>;
  /** Stops the transfer; `done` rejects with an AbortError. */
  abort: () => void;
}

/**
 * Sends one file to `POST /api/uploads` (or `to`) as multipart (one part named `file`).
 * XMLHttpRequest rather than fetch because only it reports upload progress. Renews the token
 * once on a 401.
 */
export function uploadFile<T = Attachment>(
  file: File,
  onProgress: (fraction: number) => void,
  to: { method: 'POST' | 'PUT'; path: string } = { method: 'POST', path: '/api/uploads' },
): UploadHandle<T> {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const send = (token: string) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = new XMLHttpRequest();
      xhr = req;
      req.open(to.method, to.path);
      req.setRequestHeader('authorization', `Bearer ${token}`);
      req.responseType = 'json';
      req.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      req.onload = () => resolve({ status: req.status, body: req.response as unknown });
      req.onerror = () => reject(new ApiError(0, 'network', 'Cannot reach the server'));
      req.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
      const form = new FormData();
      form.append('file', file, file.name);
      req.send(form);
    });

  const done = (async () => {
    for (let attempt = 0; ; attempt++) {
      const token = await api.accessToken();
      if (!token) throw new ApiError(401, 'unauthorized', 'Signed out');
      if (aborted) throw new DOMException('Upload cancelled', 'AbortError');
      const { status, body } = await send(token);
      if (status === 401 && attempt === 0) {
        api.expireToken();
        continue;
      }
      if (status >= 200 && status < 300) return body as T;
      throw uploadError(status, body as ErrorBody | null);
    }
  })();
  return {
    done,
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}

function uploadError(status: number, body: ErrorBody | null): ApiError {
  const code = body?.error?.code ?? 'error';
  if (status === 413) return new ApiError(status, code, body?.error?.message ?? 'This file is too large to send.');
  if (status === 415) return new ApiError(status, code, 'This type of file can’t be sent.');
  return new ApiError(status, code, body?.error?.message ?? `Upload failed (${status})`);
}
