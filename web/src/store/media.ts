import { useEffect, useState } from 'react';
import type { Attachment } from '../../../protocol/messages.js';
import { api } from '../api/rest';

/**
 * Uploads and profile photos are served only with the bearer token (no signed URLs), so an
 * <img> cannot point at them: each is fetched into a Blob and shown through an object URL. The URLs are cached for the
 * session (scrolling back must not download again); once more than `KEEP` are held, the least
 * recently used ones nobody shows are revoked.
 */
interface Entry {
  url: Promise<string>;
  users: number;
  usedAt: number;
}
const cache = new Map<string, Entry>();
const KEEP = 80;
let clock = 0;

export type Variant = 'thumbnail' | 'full';

const pathOf = (a: Attachment, variant: Variant) =>
  `/api/uploads/${a.id}${variant === 'thumbnail' && a.has_thumbnail ? '/thumbnail' : ''}`;

function acquire(key: string): Entry {
  let entry = cache.get(key);
  if (!entry) {
    entry = { url: api.blob(key).then((b) => URL.createObjectURL(b)), users: 0, usedAt: 0 };
    // A failed download is not cached: the next viewer tries again.
    entry.url.catch(() => cache.get(key) === entry && cache.delete(key));
    cache.set(key, entry);
  }
  entry.users++;
  entry.usedAt = ++clock;
  return entry;
}

function release(entry: Entry) {
  entry.users--;
  if (cache.size <= KEEP) return;
  const idle = [...cache.entries()].filter(([, e]) => e.users <= 0).sort((x, y) => x[1].usedAt - y[1].usedAt);
  for (const [key, e] of idle.slice(0, cache.size - KEEP)) {
    cache.delete(key);
    void e.url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  }
}

/** An object URL for an upload (its thumbnail, or the whole file), or an error. */
export const useUploadUrl = (a: Attachment | null, variant: Variant) => useBlobUrl(a ? pathOf(a, variant) : null);

/** An object URL for what `path` serves with the token (an upload, a profile photo), or an error. */
export function useBlobUrl(path: string | null): { url: string | null; failed: boolean } {
  const [state, setState] = useState<{ key: string; url: string | null; failed: boolean }>({
    key: '',
    url: null,
    failed: false,
  });
  const key = path ?? '';
  useEffect(() => {
    if (!key) return;
    let live = true;
    const entry = acquire(key);
    entry.url.then(
      (url) => live && setState({ key, url, failed: false }),
      () => live && setState({ key, url: null, failed: true }),
    );
    return () => {
      live = false;
      release(entry);
    };
  }, [key]);
  return state.key === key ? { url: state.url, failed: state.failed } : { url: null, failed: false };
}

/** Saves an upload under its original name (fetched with the token, then handed to the browser). */
export async function downloadUpload(a: Attachment) {
  const entry = acquire(pathOf(a, 'full'));
  try {
    const link = document.createElement('a');
    link.href = await entry.url;
    link.download = a.filename;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    release(entry);
  }
}

/** Signed out: every object URL goes. */
export function resetMedia() {
  for (const e of cache.values()) void e.url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
  cache.clear();
}
