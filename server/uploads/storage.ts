import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';

/**
 * Where upload bytes live. Keys are made by the server (`<uuid>` or `<uuid>.thumb`), never
 * from anything a client sent, and each backend checks them again before touching anything.
 */
export interface Storage {
  /** Stores `size` bytes of `body` under `key` (replacing nothing: keys are fresh). */
  put(key: string, body: Readable | Buffer, contentType: string, size: number): Promise<void>;
  /** The stored bytes, or null when the key holds nothing. */
  get(key: string): Promise<{ body: Readable; size: number } | null>;
  /** Removes a key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f-]{36}(\.thumb|\.avatar)?$/;

/** Refuses any key the server would not have made (and so any path trick). */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  return key;
}

/** Files under `<DATA_DIR>/uploads`, two levels of fan-out by the key's first characters. */
export function createLocalStorage(root: string): Storage {
  const base = path.resolve(root);
  const fileOf = (key: string) => {
    checkKey(key);
    const file = path.resolve(base, key.slice(0, 2), key);
    // Belt and braces: the key pattern already rules out separators and dots.
    if (!file.startsWith(base + path.sep)) throw new Error('storage key escapes the root');
    return file;
  };
  return {
    async put(key, body) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      // Written aside, then renamed: a reader never sees half a file.
      const partial = `${file}.${process.pid}.partial`;
      try {
        await pipeline(Buffer.isBuffer(body) ? [body] : body, createWriteStream(partial, { flags: 'wx' }));
        await rename(partial, file);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    },
    async get(key) {
      const file = fileOf(key);
      let handle;
      try {
        // Opened here, not when the stream first reads: a delete racing this download (the
        // upload's message deleted meanwhile) is a clean "not found" now, and the open file
        // stays readable to the end after it. A stream opening a vanished file later would
        // emit an error nobody may be listening for yet (a client gone before the reply).
        handle = await open(file, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        const { size } = await handle.stat();
        const body = handle.createReadStream();
        // A read error after this point ends the response early; it must never crash the process.
        body.on('error', () => {});
        return { body, size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}

/** The storage the config asks for (S3 is loaded only when used). */
export async function createStorage(config: Config): Promise<Storage> {
  if (config.UPLOAD_STORAGE === 's3') {
    const { createS3Storage } = await import('./s3-storage.js');
    return createS3Storage(config);
  }
  return createLocalStorage(path.join(config.DATA_DIR, 'uploads'));
}
