/** Uploads tests' shared parts: a server with its own upload directory, files, requests, storage. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestDatabase } from './db.js';
import { createDirect, createUsers, postMessage, type TestUser } from './factories.js';
import { startServer, type TestServer } from './server.js';

export const MAX_BYTES = 64 * 1024;

/**
 * A server whose uploads live in a directory of this file's own. Passing DATA_DIR alone would
 * make `startServer` use PGlite, so the PostgreSQL database is made here too; without DATA_DIR
 * the files would land in the shared `./data` that other test files write to at the same time.
 */
export async function startUploadServer(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chatify-uploads-'));
  const database = await createTestDatabase();
  const server = await startServer({
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    UPLOAD_MAX_BYTES: String(MAX_BYTES),
    JOB_POLL_MS: '100',
    ...env,
  });
  return {
    server,
    dataDir,
    async close() {
      await server.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers: files, requests, storage.
// ---------------------------------------------------------------------------------------------

export const image = (width: number, height: number, background = '#3a7') =>
  sharp({ create: { width, height, channels: 3, background } });
export const png = (width = 4, height = 4) => image(width, height).png().toBuffer();

/**
 * A PNG of `width` × `height` one-bit pixels, all zero: a few kilobytes that decode to far
 * more pixels than the server accepts (a decompression bomb).
 */
export function blankPng(width: number, height: number) {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0 + zero pixels per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface UploadResult {
  status: number;
  body: any;
}

export async function postForm(
  base: string,
  user: TestUser | null,
  form: FormData | string | Buffer,
  contentType?: string,
  to = { method: 'POST', path: '/api/uploads' },
) {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${user.token}`;
  if (contentType) headers['content-type'] = contentType;
  const body = Buffer.isBuffer(form) ? new Uint8Array(form) : form;
  const res = await fetch(base + to.path, { method: to.method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined } as UploadResult;
}

/** `PUT /api/users/me/avatar` with `form` (a FormData, or a raw body and its type). */
export const putAvatar = (
  base: string,
  user: TestUser | null,
  form: FormData | string | Buffer,
  contentType?: string,
) => postForm(base, user, form, contentType, { method: 'PUT', path: '/api/users/me/avatar' });

export const fileForm = (bytes: Buffer, filename = 'file.bin', type = 'application/octet-stream', field = 'file') => {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), filename);
  return form;
};

/** A multipart body written by hand: the file's name exactly as given (RFC 5987), which FormData would escape. */
export function handMadeForm(filename: string, bytes: Buffer) {
  const boundary = `chatify-${randomUUID()}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encodeURIComponent(filename)}\r\n` +
    'Content-Type: text/plain\r\n\r\n';
  return {
    body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

export async function download(base: string, user: TestUser, urlPath: string) {
  const res = await fetch(base + urlPath, { headers: { authorization: `Bearer ${user.token}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A GET with the path sent exactly as written (fetch would resolve `..` and `%2e%2e`). */
export function rawGet(base: string, user: TestUser, rawPath: string) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, headers: { authorization: `Bearer ${user.token}` } });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export const sendAttachment = (s: TestServer, user: TestUser, conversationId: string, id: string, type = 'image') =>
  postMessage(s.http, user, conversationId, { message_type: type, attachment_id: id, client_id: randomUUID() });

/** Whether storage holds `key` (the stream it opens is closed again). */
export async function isStored(s: TestServer, key: string) {
  const got = await s.ctx.storage.get(key);
  got?.body.destroy();
  return got !== null;
}

export async function uploadRow(s: TestServer, id: string) {
  const { rows } = await s.ctx.db.query<{ storage_key: string; thumbnail_key: string | null; filename: string }>(
    'SELECT storage_key, thumbnail_key, filename FROM uploads WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

export async function uploadIds(s: TestServer) {
  const { rows } = await s.ctx.db.query<{ id: string }>('SELECT id FROM uploads ORDER BY id');
  return rows.map((r) => r.id);
}

/** Every file under DATA_DIR/uploads and DATA_DIR/tmp, relative to DATA_DIR. */
export async function storedFiles(dataDir: string) {
  const files: string[] = [];
  for (const dir of ['uploads', 'tmp']) {
    const entries = await readdir(path.join(dataDir, dir), { recursive: true, withFileTypes: true }).catch(
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)),
    );
    for (const e of entries) if (e.isFile()) files.push(path.relative(dataDir, path.join(e.parentPath, e.name)));
  }
  return files.sort();
}

// ---------------------------------------------------------------------------------------------
// Local storage
// ---------------------------------------------------------------------------------------------

/** One uploads test file's server on local disk, its users and a direct chat between Alice and Bob. */
export interface LocalUploads {
  s: TestServer;
  dataDir: string;
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  direct: string;
  upload(user: TestUser, bytes: Buffer, filename?: string, type?: string): Promise<UploadResult>;
  /** Uploads `form` as Alice and asserts that it was refused with `status`/`code` and left nothing anywhere. */
  expectRefused(form: FormData | string, status: number, code: string, contentType?: string): Promise<string>;
}

/**
 * Call inside a `describe`: starts a server with uploads on local disk before its tests and
 * closes it after them. The fields are set once the `beforeAll` it registers has run.
 */
export function useLocalUploads(): LocalUploads {
  let close: (() => Promise<void>) | undefined;
  const t = {
    upload: (user: TestUser, bytes: Buffer, filename?: string, type?: string) =>
      postForm(t.s.base, user, fileForm(bytes, filename, type)),
    async expectRefused(form: FormData | string, status: number, code: string, contentType?: string) {
      const filesBefore = await storedFiles(t.dataDir);
      const rowsBefore = await uploadIds(t.s);
      const res = await postForm(t.s.base, t.alice, form, contentType);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(await uploadIds(t.s)).toEqual(rowsBefore);
      expect(await storedFiles(t.dataDir)).toEqual(filesBefore);
      return res.body.error.message as string;
    },
  } as LocalUploads;

  beforeAll(async () => {
    const started = await startUploadServer();
    ({ server: t.s, dataDir: t.dataDir, close } = started);
    [t.alice, t.bob, t.carol] = await createUsers(t.s.http, 3);
    t.direct = await createDirect(t.s.http, t.alice, t.bob);
  });
  afterAll(async () => {
    await close?.();
  });
  return t;
}
