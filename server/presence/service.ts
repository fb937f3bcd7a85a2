import type { Ctx } from '../context.js';
import type { ServerPayload } from '../../protocol/frames.js';

/**
 * Users who see this user's presence: everyone sharing a direct chat, and members of groups
 * up to PRESENCE_GROUP_LIMIT members (larger groups would make presence fan-out explode).
 */
export async function contactsOf(ctx: Ctx, userId: string): Promise<string[]> {
  const { rows } = await ctx.db.query<{ user_id: string }>(
    `SELECT DISTINCT other.user_id
       FROM conversation_members mine
       JOIN conversations c ON c.id = mine.conversation_id
       JOIN conversation_members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
      WHERE mine.user_id = $1
        AND (c.kind = 'direct'
             OR (SELECT count(*) FROM conversation_members x WHERE x.conversation_id = c.id) <= $2)`,
    [userId, ctx.config.PRESENCE_GROUP_LIMIT],
    // Run at every socket's open and close: planned once per connection.
    { name: 'contacts_of' },
  );
  return rows.map((r) => r.user_id);
}

/**
 * A socket of `userId` opened. Tells the contacts when this is the user's first socket, and
 * returns which contacts are online now (the new socket's starting picture).
 */
export async function socketOpened(ctx: Ctx, userId: string, socketId: string): Promise<string[]> {
  const [{ cameOnline }, contacts] = await Promise.all([
    ctx.presence.connect(userId, socketId),
    contactsOf(ctx, userId),
  ]);
  if (cameOnline) await announceOnline(ctx, userId, contacts);
  return [...(await ctx.presence.onlineAmong(contacts))];
}

/** Tells the contacts that the user is online (also when Redis comes back and finds them missing). */
export async function announceOnline(ctx: Ctx, userId: string, contacts?: string[]): Promise<void> {
  const payload: ServerPayload<'presence_update'> = {
    user_id: userId,
    status: 'online',
    timestamp: ctx.now().toISOString(),
  };
  ctx.bus.publishToUsers(contacts ?? (await contactsOf(ctx, userId)), { type: 'presence_update', payload });
}

/** A socket closed. When it was the user's last one, last seen is stored and contacts told. */
export async function socketClosed(ctx: Ctx, userId: string, socketId: string): Promise<void> {
  const { wentOffline } = await ctx.presence.disconnect(userId, socketId);
  if (wentOffline) await userWentOffline(ctx, userId);
}

/** Stores last seen and tells the contacts (also for users of a node that died). */
export async function userWentOffline(ctx: Ctx, userId: string): Promise<void> {
  // A reload reconnects at once: if a new socket counts the user online again, say nothing.
  if ((await ctx.presence.onlineAmong([userId])).has(userId)) return;
  const { rows } = await ctx.db.query<{ last_seen_at: Date }>(
    'UPDATE users SET last_seen_at = now() WHERE id = $1 RETURNING last_seen_at',
    [userId],
  );
  const lastSeen = rows[0]?.last_seen_at.toISOString() ?? ctx.now().toISOString();
  if ((await ctx.presence.onlineAmong([userId])).has(userId)) return;
  const payload: ServerPayload<'presence_update'> = {
    user_id: userId,
    status: 'offline',
    timestamp: ctx.now().toISOString(),
    last_seen_at: lastSeen,
  };
  ctx.bus.publishToUsers(await contactsOf(ctx, userId), { type: 'presence_update', payload });
}
