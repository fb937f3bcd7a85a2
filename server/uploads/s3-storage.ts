import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { checkKey, type Storage } from './storage.js';

/**
 * Any S3-compatible store (AWS S3, MinIO, Ceph, R2…). Objects are private: members download
 * through the server, which checks membership first.
 */
export function createS3Storage(config: Config): Storage {
  const client = new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    // Since SDK 3.729 a streamed body is sent aws-chunked with a trailing CRC32 by default;
    // stores that do not speak that encoding (s3rver, older MinIO and Ceph, several hosted
    // "S3-compatible" services) keep the framing as part of the object. Checksums only where
    // an operation requires them, as before, unless this is AWS itself.
    ...(config.S3_ENDPOINT
      ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
      : {}),
    ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } }
      : {}),
  });
  const Bucket = config.S3_BUCKET!;
  const keyOf = (key: string) => `${config.S3_PREFIX}${checkKey(key)}`;
  return {
    async put(key, body, contentType, size) {
      await client.send(
        new PutObjectCommand({ Bucket, Key: keyOf(key), Body: body, ContentType: contentType, ContentLength: size }),
      );
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return { body: out.Body as Readable, size: out.ContentLength ?? 0 };
      } catch (err) {
        if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
  };
}
