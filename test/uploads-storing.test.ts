/**
 * Uploads on local disk, storing: what a client sends is stored under a name and a type the server
 * chose, and images lose their metadata and get a thumbnail. The other rules: uploads-limits,
 * uploads-access and uploads-paths (.test.ts); the same on S3 in uploads-s3.test.ts.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import { useLocalUploads, image, png, download } from './helpers/uploads.js';

describe('uploads on local disk', () => {
  const t = useLocalUploads();
  let s: TestServer, alice: TestUser;
  beforeAll(() => void ({ s, alice } = t));
  const { upload } = t;

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
});
