import multipart from '@fastify/multipart';
import { AvatarParams, SelfUser } from '../../protocol/users.js';
import type { Ctx } from '../context.js';
import { notFound } from '../errors.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { userLimit } from '../http/security.js';
import { isUuid } from '../ids.js';
import { enqueue } from '../jobs/queue.js';
import { photoKey, photoLimits, readPhoto, sendPhoto, storePhoto } from '../photos/photo.js';
import { presentSelf, USER_COLUMNS, type UserRow } from './presenter.js';
import { announceProfile, announceSelf } from './service.js';

/**
 * Sets (a new id; `bytes` null: removes) the user's photo. The old photo's bytes go by the
 * durable job queue, queued in the statement's transaction; everyone who shares a chat with the
 * user is told, as for a new display name.
 */
async function setAvatar(ctx: Ctx, uid: string, bytes: Buffer | null): Promise<SelfUser> {
  const row = await storePhoto(ctx, bytes, (avatarId) =>
    ctx.db.transaction(async (tx) => {
      // The row locked first: a CTE would read the photo before, as of the statement's start,
      // so of two changes at once neither would delete the other's.
      const { rows: before } = await tx.query<{ avatar_id: string | null }>(
        'SELECT avatar_id FROM users WHERE id = $1 FOR UPDATE',
        [uid],
      );
      if (!before[0]) throw notFound('User not found');
      const old = before[0].avatar_id;
      const { rows } = await tx.query<UserRow>(
        `UPDATE users SET avatar_id = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [uid, avatarId],
      );
      if (old) await enqueue(tx, 'delete_stored', { keys: [photoKey(old)] });
      return { ...rows[0]!, old_avatar_id: old };
    }),
  );
  if (row.old_avatar_id) ctx.jobs.poke();
  const self = presentSelf(row);
  announceSelf(ctx, self);
  if (row.avatar_id !== row.old_avatar_id) await announceProfile(ctx, uid);
  return self;
}

export async function avatarRoutes(app: App, ctx: Ctx) {
  await app.register(multipart, photoLimits(ctx));
  app.addHook('onRequest', requireAuth(ctx));
  const limit = userLimit(ctx.config.RATE_LIMIT_SEND_PER_MINUTE);

  /** One image in a part named `file`: the new photo. */
  app.put('/api/users/me/avatar', { config: limit, schema: { response: { 200: SelfUser } } }, async (req) =>
    setAvatar(ctx, userId(req), await readPhoto(ctx, req)),
  );

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
    return sendPhoto(ctx, reply, rows[0]?.avatar_id, avatar_id);
  });
}
