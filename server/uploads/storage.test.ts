import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLocalStorage } from './storage.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chatify-storage-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('a download that has begun survives the upload being deleted; one that has not is a clean miss', async () => {
  const storage = createLocalStorage(dir);
  const key = randomUUID();
  const bytes = Buffer.alloc(256 * 1024, 7);
  await storage.put(key, bytes, 'application/octet-stream', bytes.length);

  const started = await storage.get(key);
  expect(started?.size).toBe(bytes.length);
  // Deleted (a message delete's job) at once, before a single byte was read.
  rmSync(path.join(dir, key.slice(0, 2), key));
  const chunks: Buffer[] = [];
  for await (const chunk of started!.body) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).equals(bytes)).toBe(true);

  expect(await storage.get(key)).toBeNull();
});
