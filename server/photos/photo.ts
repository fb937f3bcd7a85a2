import sharp from 'sharp';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { uuidv7 } from '../ids.js';
import { sendStored } from '../uploads/routes.js';
import { imageProblem, MAX_PIXELS, tooLarge } from '../uploads/service.js';

/**
 * Photos of people and of groups (decisions 041 and 043): one square WebP per photo, stored
 * under a new id each time (key `<photo id>.avatar`), so its address can be served `immutable`.
 */

/** Photos are stored as this square (three times the largest avatar the web client draws). */
export const AVATAR_SIZE = 336;

export const photoKey = (photoId: string) => `${photoId}.avatar`;

/** What the multipart plugin needs for a photo route: one file, no fields. */
export const photoLimits = (ctx: Ctx) => ({
  limits: { fileSize: ctx.config.UPLOAD_MAX_BYTES, files: 1, fields: 0, parts: 1, headerPairs: 100 },
});

/**
 * A square WebP of the image: turned upright (EXIF), cropped to its most interesting part,
 * without metadata (a phone photo carries where it was taken). Anything sharp cannot read is a 415.
 */
export async function squareWebp(bytes: Buffer): Promise<Buffer> {
  try {
    return await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error', animated: false })
      .rotate()
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover', position: 'attention' })
      .webp({ quality: 82 })
      .toBuffer();
  } catch (err) {
    throw new AppError('unsupported_media_type', `The photo could not be read (${imageProblem(err)})`);
  }
}

/** The request's one image, in a part named `file`, as the square WebP to store. */
export async function readPhoto(ctx: Ctx, req: FastifyRequest): Promise<Buffer> {
  if (!req.isMultipart())
    throw new AppError('unsupported_media_type', 'Send the photo as multipart/form-data, in a part named "file"');
  let part;
  try {
    part = await req.file();
  } catch (err) {
    // A field or a second part before the photo: the body's fault, as in POST /api/uploads.
    if (/^FST_(FILES|PARTS|FIELDS)_LIMIT$/.test((err as { code?: string }).code ?? ''))
      throw new AppError('validation_failed', 'Send one photo, in a part named "file"');
    if ((err as { statusCode?: number }).statusCode) throw err;
    throw new AppError('bad_request', 'The body is not valid multipart/form-data');
  }
  if (!part || part.fieldname !== 'file') {
    part?.file.resume();
    throw new AppError('validation_failed', 'No photo: send it in a part named "file"');
  }
  const bytes = await part.toBuffer().catch((err: unknown) => {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(ctx.config.UPLOAD_MAX_BYTES);
    throw err;
  });
  return squareWebp(bytes);
}

/**
 * Stores `bytes` (null: nothing) under a new photo id and runs `save(photoId)`, the statement
 * that points its owner at it; if that fails, the new bytes go again.
 */
export async function storePhoto<T>(ctx: Ctx, bytes: Buffer | null, save: (photoId: string | null) => Promise<T>) {
  const photoId = bytes ? uuidv7() : null;
  if (bytes && photoId) await ctx.storage.put(photoKey(photoId), bytes, 'image/webp', bytes.length);
  try {
    return await save(photoId);
  } catch (err) {
    if (photoId) await ctx.storage.delete(photoKey(photoId)).catch(() => {});
    throw err;
  }
}

/** Sends photo `photoId` if it is `current`, its owner's photo now: any other id is a 404. */
export async function sendPhoto(ctx: Ctx, reply: FastifyReply, current: string | null | undefined, photoId: string) {
  if (current !== photoId) throw notFound('Photo not found');
  const stored = await ctx.storage.get(photoKey(photoId));
  if (!stored) throw notFound('Photo not found');
  return sendStored(reply, stored, 'image/webp');
}
