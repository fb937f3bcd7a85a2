import multipart, { type Multipart } from '@fastify/multipart';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Attachment } from '../../protocol/messages.js';
import { isImageType, UploadParams } from '../../protocol/uploads.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { userLimit } from '../http/security.js';
import { AppError, notFound } from '../errors.js';
import { findReadableUpload, storeUpload, tooLarge } from './service.js';

const oneFileOnly = () => new AppError('validation_failed', 'Send one file, in a part named "file"');

/** The next part of a multipart body, or null at its end; past the parser's limits, a 400. */
async function nextPart(parts: AsyncIterableIterator<Multipart>): Promise<Multipart | null> {
  try {
    const next = await parts.next();
    return next.done ? null : next.value;
  } catch (err) {
    if (/^FST_(FILES|PARTS|FIELDS)_LIMIT$/.test((err as { code?: string }).code ?? '')) throw oneFileOnly();
    if ((err as { statusCode?: number }).statusCode) throw err;
    // The parser's own errors ("Unexpected end of multipart data", a bad part header) are the body's fault.
    throw new AppError('bad_request', 'The body is not valid multipart/form-data');
  }
}

/** RFC 6266 / 5987: an ASCII fallback and the exact UTF-8 name. */
const disposition = (kind: 'inline' | 'attachment', filename: string) =>
  `${kind}; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/**
 * Stored bytes (an upload, a profile photo) as a response: never run as a page, readable by
 * this origin only, and kept by the browser for ever (the bytes under a key never change; only
 * the signed-in user may reuse the copy).
 */
export function sendStored(reply: FastifyReply, stored: { body: Readable; size: number }, contentType: string) {
  return reply
    .header('content-type', contentType)
    .header('content-length', stored.size)
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cross-origin-resource-policy', 'same-origin')
    .header('cache-control', 'private, max-age=31536000, immutable')
    .send(stored.body);
}

export async function uploadRoutes(app: App, ctx: Ctx) {
  await app.register(multipart, {
    limits: { fileSize: ctx.config.UPLOAD_MAX_BYTES, files: 1, fields: 0, parts: 1, headerPairs: 100 },
  });
  app.addHook('onRequest', requireAuth(ctx));

  /** One part named `file`; 201 with what was stored (type sniffed from the bytes). */
  app.post(
    '/api/uploads',
    {
      config: userLimit(ctx.config.RATE_LIMIT_SEND_PER_MINUTE),
      schema: { response: { 201: Attachment } },
    },
    async (req, reply) => {
      if (!req.isMultipart()) {
        throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data, in a part named "file"');
      }
      const parts = req.parts();
      const part = await nextPart(parts);
      if (!part || part.type !== 'file')
        throw new AppError('validation_failed', 'No file: send it in a part named "file"');
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new AppError('validation_failed', 'Send the file in a part named "file"');
      }
      const attachment = await storeUpload(ctx, userId(req), {
        stream: part.file,
        filename: part.filename,
        tooLarge: () => part.file.truncated,
        // A second file (or anything else) after the first refuses the upload, not just the extra part.
        checkRest: async () => {
          if (await nextPart(parts)) throw oneFileOnly();
        },
      }).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(ctx.config.UPLOAD_MAX_BYTES);
        throw err;
      });
      return reply.status(201).send(attachment);
    },
  );

  const send = async (reply: FastifyReply, key: string, contentType: string, filename: string) => {
    const stored = await ctx.storage.get(key);
    if (!stored) throw notFound('Upload not found');
    const inline = isImageType(contentType);
    // Images are shown; anything else is only ever downloaded, never rendered by the browser.
    reply.header('content-disposition', disposition(inline ? 'inline' : 'attachment', filename));
    return sendStored(reply, stored, inline ? contentType : 'application/octet-stream');
  };

  app.get('/api/uploads/:id', { schema: { params: UploadParams } }, async (req, reply) => {
    const upload = await findReadableUpload(ctx, userId(req), req.params.id);
    return send(reply, upload.storage_key, upload.content_type, upload.filename);
  });

  app.get('/api/uploads/:id/thumbnail', { schema: { params: UploadParams } }, async (req, reply) => {
    const upload = await findReadableUpload(ctx, userId(req), req.params.id);
    if (!upload.thumbnail_key) throw notFound('This upload has no thumbnail');
    return send(reply, upload.thumbnail_key, 'image/webp', upload.filename.replace(/\.[^.]*$/, '') + '.webp');
  });
}
