import multipart from '@fastify/multipart';
import sharp from 'sharp';
import { AvatarParams, SelfUser } from '../../protocol/users.js';
import type { Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { userLimit } from '../http/security.js';
import { isUuid, uuidv7 } from '../ids.js';
import { enqueue } from '../jobs/queue.js';
import { sendStored } from '../uploads/routes.js';
import { imageProblem, MAX_PIXELS, tooLarge } from '../uploads/service.js';
import { presentSelf, USER_COLUMNS, type UserRow } from './presenter.js';
import { announceProfile, announceSelf } from './service.js';

/** Photos are stored as this square (three times the largest avatar the web client draws). */
export const AVATAR_SIZE = 336;

const avatarKey = (avatarId: string) => `${avatarId}.avatar`;

/**
 * A square WebP of the image: turned upright (EXIF), cropped to its centre, without metadata
 * (a phone photo carries where it was taken). Anything sharp cannot read is a 415.
 */
async function squareWebp(bytes: Buffer): Promise<Buffer> {
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

/**
 * Sets (a new id; `bytes` null: removes) the user's photo. The old photo's bytes go by the
 * durable job queue, queued in the statement's transaction; everyone who shares a chat with the
 * user is told, as for a new display name.
 */
async function setAvatar(ctx: Ctx, uid: string, bytes: Buffer | null): Promise<SelfUser> {
  const avatarId = bytes ? uuidv7() : null;
  if (bytes && avatarId) await ctx.storage.put(avatarKey(avatarId), bytes, 'image/webp', bytes.length);
  const row = await ctx.db
    .transaction(async (tx) => {
      const { rows } = await tx.query<UserRow & { old_avatar_id: string | null }>(
        `WITH old AS (SELECT avatar_id FROM users WHERE id = $1)
         UPDATE users SET avatar_id = $2 WHERE id = $1
         RETURNING ${USER_COLUMNS}, (SELECT avatar_id FROM old) AS old_avatar_id`,
        [uid, avatarId],
      );
      const old = rows[0]?.old_avatar_id;
      if (old) await enqueue(tx, 'delete_stored', { keys: [avatarKey(old)] });
      return rows[0];
    })
    .catch(async (err: unknown) => {
      if (avatarId) await ctx.storage.delete(avatarKey(avatarId)).catch(() => {});
      throw err;
    });
  if (!row) {
    if (avatarId) await ctx.storage.delete(avatarKey(avatarId));
    throw notFound('User not found');
  }
  if (row.old_avatar_id) ctx.jobs.poke();
  const self = presentSelf(row);
  announceSelf(ctx, self);
  if (row.avatar_id !== row.old_avatar_id) await announceProfile(ctx, uid);
  return self;
}

export async function avatarRoutes(app: App, ctx: Ctx) {
  await app.register(multipart, {
    limits: { fileSize: ctx.config.UPLOAD_MAX_BYTES, files: 1, fields: 0, parts: 1, headerPairs: 100 },
  });
  app.addHook('onRequest', requireAuth(ctx));
  const limit = userLimit(ctx.config.RATE_LIMIT_SEND_PER_MINUTE);

  /** One image in a part named `file`: the new photo. */
  app.put('/api/users/me/avatar', { config: limit, schema: { response: { 200: SelfUser } } }, async (req) => {
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
    return setAvatar(ctx, userId(req), await squareWebp(bytes));
  });

  app.delete('/api/users/me/avatar', { config: limit, schema: { response: { 200: SelfUser } } }, async (req) =>
    setAvatar(ctx, userId(req), null),
  );

  /** Anyone signed in may see anyone's photo, as they may their name; an old id is a 404. */
  app.get('/api/users/:id/avatar/:avatar_id', { schema: { params: AvatarParams } }, async (req, reply) => {
    const { id, avatar_id } = req.params;
    if (!isUuid(id) || !isUuid(avatar_id)) throw notFound('Photo not found');
    const { rows } = await ctx.db.query<{ avatar_id: string | null }>(
      'SELECT avatar_id FROM users WHERE id = $1 AND disabled_at IS NULL',
      [id],
    );
    if (rows[0]?.avatar_id !== avatar_id) throw notFound('Photo not found');
    const stored = await ctx.storage.get(avatarKey(avatar_id));
    if (!stored) throw notFound('Photo not found');
    return sendStored(reply, stored, 'image/webp');
  });
}
