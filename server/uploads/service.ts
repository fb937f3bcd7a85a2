import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import type { Ctx } from '../context.js';
import type { Attachment } from '../../protocol/messages.js';
import { LIMITS } from '../../protocol/limits.js';
import { isImageType, limitText } from '../../protocol/uploads.js';
import { AppError, notFound } from '../errors.js';
import { isUuid } from '../ids.js';
import { enqueue } from '../jobs/queue.js';
import { sniff } from './sniff.js';

/** Thumbnails fit in this square (twice the largest preview the web client draws). */
const THUMB_SIZE = 480;
/** Decompression bombs: images over this many pixels are refused before they are decoded. */
export const MAX_PIXELS = 50_000_000;
const HEAD_BYTES = 64;

interface UploadRow {
  id: string;
  owner_id: string;
  storage_key: string;
  thumbnail_key: string | null;
  filename: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
}

export const presentUpload = (u: UploadRow): Attachment => ({
  id: u.id,
  filename: u.filename,
  content_type: u.content_type,
  size: Number(u.size),
  width: u.width,
  height: u.height,
  has_thumbnail: u.thumbnail_key !== null,
});

/** A display name from whatever the client called the file: no directories, no control characters. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'file';
  const cut = clean.slice(0, LIMITS.filenameMax);
  // Cut between the halves of a surrogate pair, the name would end in half a character.
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * Stores an upload: the bytes go to a temporary file (refused past UPLOAD_MAX_BYTES), their
 * type is sniffed, an image gets its dimensions, a thumbnail and its metadata (location
 * included) stripped, then everything moves to storage and the row is written.
 */
export async function storeUpload(
  ctx: Ctx,
  ownerId: string,
  input: {
    stream: Readable;
    filename: string | undefined;
    tooLarge: () => boolean;
    /** Reads the rest of the request once the file is in; throws when it holds anything more. */
    checkRest?: () => Promise<void>;
  },
): Promise<Attachment> {
  const tmpDir = path.join(ctx.config.DATA_DIR, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const id = randomUUID();
  const tmp = path.join(tmpDir, `${id}.upload`);
  const keys: string[] = [];
  // An error of the incoming stream is the client's (a cut or malformed body), not ours.
  let sourceError: unknown;
  input.stream.once('error', (err) => (sourceError = err));
  try {
    let head = Buffer.alloc(0);
    const keepHead = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        done(null, chunk);
      },
    });
    await pipeline(input.stream, keepHead, createWriteStream(tmp));
    if (input.tooLarge()) throw tooLarge(ctx.config.UPLOAD_MAX_BYTES);
    await input.checkRest?.();
    const { size } = await stat(tmp);
    if (size === 0) throw new AppError('validation_failed', 'The file is empty');

    const sniffed = sniff(head);
    if (sniffed.refused) throw new AppError('unsupported_media_type', sniffed.refused);
    const row: UploadRow = {
      id,
      owner_id: ownerId,
      storage_key: id,
      thumbnail_key: null,
      filename: cleanFilename(input.filename),
      content_type: sniffed.contentType,
      size,
      width: null,
      height: null,
    };

    let cleaned: Buffer | undefined;
    if (isImageType(row.content_type)) {
      const image = await readImage(tmp, row.content_type);
      Object.assign(row, { width: image.width, height: image.height, thumbnail_key: `${id}.thumb` });
      keys.push(`${id}.thumb`);
      await ctx.storage.put(`${id}.thumb`, image.thumbnail, 'image/webp', image.thumbnail.length);
      cleaned = image.cleaned;
    }
    keys.push(id);
    if (cleaned) {
      row.size = cleaned.length;
      await ctx.storage.put(id, cleaned, row.content_type, cleaned.length);
    } else {
      await ctx.storage.put(id, createReadStream(tmp), row.content_type, size);
    }
    await ctx.db.query(
      `INSERT INTO uploads (id, owner_id, storage_key, thumbnail_key, filename, content_type, size, width, height)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        row.id,
        ownerId,
        row.storage_key,
        row.thumbnail_key,
        row.filename,
        row.content_type,
        row.size,
        row.width,
        row.height,
      ],
    );
    return presentUpload(row);
  } catch (err) {
    // Nothing half-stored: bytes already in storage go again.
    await Promise.all(keys.map((k) => ctx.storage.delete(k).catch(() => {})));
    if (err === sourceError && (err as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('bad_request', 'The upload was cut off or is not valid multipart/form-data');
    }
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

export const tooLarge = (max: number) => new AppError('payload_too_large', `Files can be at most ${limitText(max)}`);

/**
 * Dimensions (as displayed, EXIF rotation applied), a WebP thumbnail, and for JPEG, PNG and
 * WebP a re-encoded copy without metadata (a phone photo carries where it was taken).
 */
async function readImage(file: string, contentType: string) {
  const open = () => sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'error' });
  try {
    const meta = await open().metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    const width = (turned ? meta.height : meta.width) ?? null;
    const height = (turned ? meta.width : meta.height) ?? null;
    const thumbnail = await open()
      .rotate()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    let cleaned: Buffer | undefined;
    if (contentType === 'image/jpeg') cleaned = await open().rotate().jpeg({ quality: 90 }).toBuffer();
    else if (contentType === 'image/png') cleaned = await open().rotate().png().toBuffer();
    else if (contentType === 'image/webp') cleaned = await open().rotate().webp({ quality: 90 }).toBuffer();
    return { width, height, thumbnail, cleaned };
  } catch (err) {
    throw new AppError('unsupported_media_type', `The image could not be read (${imageProblem(err)})`);
  }
}

export const imageProblem = (err: unknown) =>
  /pixel limit/i.test(String(err)) ? 'it has too many pixels' : 'it is damaged or not an image';

/**
 * An upload the caller may download: their own, or one shown by a live message of a
 * conversation they are a member of. Anyone else gets the 404 of an upload that does not exist.
 */
export async function findReadableUpload(ctx: Ctx, userId: string, uploadId: string): Promise<UploadRow> {
  if (!isUuid(uploadId)) throw notFound('Upload not found');
  const { rows } = await ctx.db.query<UploadRow>(
    `SELECT u.* FROM uploads u
      WHERE u.id = $1
        AND (u.owner_id = $2 OR EXISTS (
              SELECT 1 FROM messages m
                JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $2
               WHERE m.attachment_id = u.id AND m.deleted_at IS NULL))`,
    [uploadId, userId],
  );
  if (!rows[0]) throw notFound('Upload not found');
  return rows[0];
}

/** Uploads never sent in a message within a day are deleted (row now, bytes by a job). */
export async function dropUnsentUploads(ctx: Ctx) {
  await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ storage_key: string; thumbnail_key: string | null }>(
      `DELETE FROM uploads u
        WHERE u.created_at < now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = u.id)
       RETURNING storage_key, thumbnail_key`,
    );
    for (const r of rows)
      await enqueue(tx, 'delete_stored', { keys: [r.storage_key, r.thumbnail_key].filter(Boolean) });
  });
}

/** The job that removes stored bytes once their row is gone. */
export const deleteStoredJob = (ctx: Ctx) => async (payload: Record<string, unknown>) => {
  const keys = Array.isArray(payload.keys) ? payload.keys.filter((k): k is string => typeof k === 'string') : [];
  for (const key of keys) await ctx.storage.delete(key);
};
