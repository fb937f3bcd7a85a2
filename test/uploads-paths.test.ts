/**
 * Uploads on local disk, paths and names: no path from a client reaches the disk, and a file's
 * name is for display only, cut to length and escaped in Content-Disposition.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import {
  useLocalUploads,
  png,
  postForm,
  handMadeForm,
  download,
  rawGet,
  uploadRow,
  storedFiles,
} from './helpers/uploads.js';

describe('uploads on local disk', () => {
  const t = useLocalUploads();
  let s: TestServer, dataDir: string, alice: TestUser;
  beforeAll(() => void ({ s, dataDir, alice } = t));
  const { upload } = t;

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
});
