import multipart from '@fastify/multipart';
import { Conversation, ConversationAvatarParams, IdParams } from '../../protocol/conversations.js';
import type { Ctx } from '../context.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { userLimit } from '../http/security.js';
import { isUuid } from '../ids.js';
import { enqueue } from '../jobs/queue.js';
import { photoKey, photoLimits, readPhoto, sendPhoto, storePhoto } from '../photos/photo.js';
import { canManage, requireMember } from './access.js';
import { postGroupEvent } from './events.js';
import { announceUpdate, getConversation } from './service.js';

/**
 * Sets (a new id; `bytes` null: removes) a group's photo, as its owners and admins may rename
 * it (decision 043). The old photo's bytes go by the durable job queue, queued in the same
 * transaction; the members are told, and the chat shows who changed it.
 */
async function setGroupPhoto(ctx: Ctx, uid: string, conversationId: string, bytes: Buffer | null) {
  await mayChange(ctx, uid, conversationId);
  const row = await storePhoto(ctx, bytes, (avatarId) =>
    ctx.db.transaction(async (tx) => {
      // The row locked first, so two changes at once each replace (and delete) the other's.
      const { rows } = await tx.query<{ avatar_id: string | null }>(
        'SELECT avatar_id FROM conversations WHERE id = $1 FOR UPDATE',
        [conversationId],
      );
      if (!rows[0]) throw notFound('Conversation not found');
      const old = rows[0].avatar_id;
      await tx.query('UPDATE conversations SET avatar_id = $2 WHERE id = $1', [conversationId, avatarId]);
      if (old) await enqueue(tx, 'delete_stored', { keys: [photoKey(old)] });
      return { avatar_id: avatarId, old_avatar_id: old };
    }),
  );
  if (row.old_avatar_id) ctx.jobs.poke();
  if (row.avatar_id !== row.old_avatar_id) {
    await announceUpdate(ctx, conversationId);
    await postGroupEvent(ctx, uid, conversationId, { event: row.avatar_id ? 'photo' : 'photo_removed' });
  }
  return getConversation(ctx, uid, conversationId);
}

export async function groupPhotoRoutes(app: App, ctx: Ctx) {
  await app.register(multipart, photoLimits(ctx));
  app.addHook('onRequest', requireAuth(ctx));
  const limit = userLimit(ctx.config.RATE_LIMIT_SEND_PER_MINUTE);
  const schema = { params: IdParams, response: { 200: Conversation } };

  /** One image in a part named `file`: the group's new photo (owners and admins). */
  app.put('/api/conversations/:id/avatar', { config: limit, schema }, async (req) => {
    // Who may is asked before the body is read: a member who may not gets 403 for any body.
    await mayChange(ctx, userId(req), req.params.id);
    return setGroupPhoto(ctx, userId(req), req.params.id, await readPhoto(ctx, req));
  });

  app.delete('/api/conversations/:id/avatar', { config: limit, schema }, async (req) =>
    setGroupPhoto(ctx, userId(req), req.params.id, null),
  );

  /** Members only, as the group's name; anyone else (and an old id) gets 404. */
  app.get(
    '/api/conversations/:id/avatar/:avatar_id',
    { schema: { params: ConversationAvatarParams } },
    async (req, reply) => {
      const { id, avatar_id } = req.params;
      if (!isUuid(avatar_id)) throw notFound('Photo not found');
      await requireMember(ctx.db, id, userId(req));
      const { rows } = await ctx.db.query<{ avatar_id: string | null }>(
        'SELECT avatar_id FROM conversations WHERE id = $1',
        [id],
      );
      return sendPhoto(ctx, reply, rows[0]?.avatar_id, avatar_id);
    },
  );
}

/** Whether the caller may change this chat's photo: a 404, 400 or 403 if not. */
async function mayChange(ctx: Ctx, uid: string, conversationId: string) {
  const m = await requireMember(ctx.db, conversationId, uid);
  if (m.kind !== 'group') throw badRequest('A one-to-one chat has no photo of its own');
  if (!canManage(m)) throw forbidden('Only group owners and admins can change the group photo');
}
