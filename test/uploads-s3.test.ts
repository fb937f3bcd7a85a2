/** Uploads on S3, against a real S3-compatible server (s3rver): the same rules as on local disk. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirect, createUsers, type TestUser } from './helpers/factories.js';
import type { TestServer } from './helpers/server.js';
import {
  MAX_BYTES,
  startUploadServer,
  png,
  postForm,
  fileForm,
  download,
  sendAttachment,
  uploadRow,
  uploadIds,
  storedFiles,
} from './helpers/uploads.js';

// ---------------------------------------------------------------------------------------------
// S3 storage, against a real S3-compatible server
// ---------------------------------------------------------------------------------------------

describe('uploads on S3', () => {
  const BUCKET = 'chatify-test';
  const PREFIX = 'tenant-a/uploads/';
  let s3rver: S3rver;
  let s3Dir: string;
  let client: S3Client;
  let s: TestServer;
  let dataDir: string;
  let closeServer: () => Promise<void>;
  let alice: TestUser, bob: TestUser, carol: TestUser;
  let direct: string;

  beforeAll(async () => {
    s3Dir = await mkdtemp(path.join(tmpdir(), 'chatify-s3rver-'));
    s3rver = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: s3Dir,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await s3rver.run();
    const endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const started = await startUploadServer({
      UPLOAD_STORAGE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_PREFIX: PREFIX,
    });
    ({ server: s, dataDir, close: closeServer } = started);
    [alice, bob, carol] = await createUsers(s.http, 3);
    direct = await createDirect(s.http, alice, bob);
  });
  afterAll(async () => {
    await closeServer?.();
    client?.destroy();
    await s3rver?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  const keysInBucket = async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  };
  const objectBytes = async (key: string) => {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  };

  it('stores, serves and deletes through the bucket, under S3_PREFIX, and nothing on local disk', async () => {
    const before = await keysInBucket();
    const bytes = await png(900, 600);
    const res = await postForm(s.base, alice, fileForm(bytes, 'harbour.png', 'image/png'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ content_type: 'image/png', width: 900, height: 600, has_thumbnail: true });
    const id: string = res.body.id;

    expect(await keysInBucket()).toEqual([...before, `${PREFIX}${id}`, `${PREFIX}${id}.thumb`].sort());
    expect((await storedFiles(dataDir)).filter((f) => f.startsWith('uploads/'))).toEqual([]);

    const sent = await sendAttachment(s, alice, direct, id);
    expect(sent.status).toBe(201);
    const original = await download(s.base, bob, `/api/uploads/${id}`);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/png');
    expect(original.bytes.equals(await objectBytes(`${PREFIX}${id}`))).toBe(true);
    expect(await sharp(original.bytes).metadata()).toMatchObject({ format: 'png', width: 900, height: 600 });
    const thumb = await download(s.base, bob, `/api/uploads/${id}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.bytes.equals(await objectBytes(`${PREFIX}${id}.thumb`))).toBe(true);
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 480, height: 320 });
    expect((await download(s.base, carol, `/api/uploads/${id}`)).status).toBe(404);

    const text = Buffer.from('streamed to the bucket as it came\n');
    const file = await postForm(s.base, alice, fileForm(text, 'notes.txt', 'text/plain'));
    expect(file.status).toBe(201);
    expect((await objectBytes(`${PREFIX}${file.body.id}`)).equals(text)).toBe(true);
    expect((await download(s.base, alice, `/api/uploads/${file.body.id}`)).bytes.equals(text)).toBe(true);

    expect((await s.http.del(`/api/messages/${sent.body.id}`, alice.token)).status).toBe(200);
    expect((await download(s.base, bob, `/api/uploads/${id}`)).status).toBe(404);
    await expect
      .poll(async () => (await keysInBucket()).filter((k) => k.includes(id)), { timeout: 10_000, interval: 100 })
      .toEqual([]);
    expect(await uploadRow(s, id)).toBeNull();
    expect(await keysInBucket()).toContain(`${PREFIX}${file.body.id}`);
  });

  it('a refused upload leaves nothing in the bucket', async () => {
    const before = await keysInBucket();
    const rowsBefore = await uploadIds(s);
    const damaged = Buffer.concat([(await png(64, 64)).subarray(0, 8), randomBytes(300)]);
    const res = await postForm(s.base, alice, fileForm(damaged, 'broken.png'));
    expect(res.status).toBe(415);
    const big = await postForm(s.base, alice, fileForm(Buffer.alloc(MAX_BYTES + 1), 'big.bin'));
    expect(big.status).toBe(413);
    expect(await keysInBucket()).toEqual(before);
    expect(await uploadIds(s)).toEqual(rowsBefore);
    expect(await storedFiles(dataDir)).toEqual([]);
  });
});
