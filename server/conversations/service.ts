import { createHash } from 'node:crypto';
import type { Ctx } from '../context.js';
import type { Conversation, Member, Role } from '../../protocol/conversations.js';
import type { Queryable } from '../db/client.js';
import { AppError, badRequest, forbidden, notFound } from '../errors.js';
import { iso, isoNow, isUuid } from '../ids.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from '../messages/presenter.js';
import { canManage, memberIds, requireMember } from './access.js';
import { postGroupEvent } from './events.js';

/** The room key of a one-to-one chat: the same for (a, b) and (b, a). */
export const directKey = (a: string, b: string) => createHash('sha256').update([a, b].sort().join(':')).digest('hex');

interface ConversationRow {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  avatar_id: string | null;
  last_seq: number;
  last_change_seq: number;
  last_read_seq: number;
  created_at: Date;
  last_activity_at: Date;
}

interface MemberRow {
  conversation_id: string;
  id: string;
  username: string;
  display_name: string;
  avatar_id: string | null;
  last_seen_at: Date | null;
  role: Role;
  last_delivered_seq: number;
  last_read_seq: number;
}

/**
 * The caller's conversations (or one of them), most recent activity first, with members,
 * last message and unread count. Three queries however many conversations there are.
 */
async function loadConversations(ctx: Ctx, userId: string, onlyId?: string): Promise<Conversation[]> {
  const q = ctx.db;
  const { rows: convs } = await q.query<ConversationRow>(
    `SELECT c.id, c.kind, c.title, c.avatar_id, c.last_seq, c.last_change_seq, c.created_at, cm.last_read_seq,
            COALESCE(c.last_message_at, c.created_at) AS last_activity_at
       FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.user_id = $1 AND ($2::uuid IS NULL OR c.id = $2::uuid)
      ORDER BY last_activity_at DESC, c.id`,
    [userId, onlyId ?? null],
  );
  if (convs.length === 0) return [];
  const ids = convs.map((c) => c.id);
  const [{ rows: members }, { rows: lastMessages }] = await Promise.all([
    q.query<MemberRow>(
      `SELECT cm.conversation_id, u.id, u.username, u.display_name, u.avatar_id, u.last_seen_at, cm.role,
              cm.last_delivered_seq, cm.last_read_seq
         FROM conversation_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.conversation_id = ANY($1::uuid[])
        ORDER BY cm.joined_at, u.username`,
      [ids],
    ),
    q.query<MessageRow>(
      `SELECT ${MESSAGE_FIELDS}
         FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq ${MESSAGE_JOINS}
        WHERE c.id = ANY($1::uuid[])`,
      [ids],
    ),
  ]);
  const online = await ctx.presence.onlineAmong([...new Set(members.map((m) => m.id))]);
  const membersBy = new Map<string, Member[]>();
  for (const m of members) {
    const list = membersBy.get(m.conversation_id) ?? [];
    list.push({
      id: m.id,
      username: m.username,
      display_name: m.display_name,
      avatar_id: m.avatar_id,
      role: m.role,
      online: online.has(m.id),
      last_seen_at: iso(m.last_seen_at),
      delivered_seq: m.last_delivered_seq,
      read_seq: m.last_read_seq,
    });
    membersBy.set(m.conversation_id, list);
  }
  const lastBy = new Map(lastMessages.map((m) => [m.conversation_id, presentMessage(m)]));
  return convs.map((c) => ({
    id: c.id,
    type: c.kind === 'direct' ? 'one_to_one' : 'group',
    title: c.title,
    avatar_id: c.avatar_id,
    members: membersBy.get(c.id) ?? [],
    last_message: lastBy.get(c.id) ?? null,
    last_seq: c.last_seq,
    last_change_seq: c.last_change_seq,
    unread_count: Math.max(0, c.last_seq - c.last_read_seq),
    created_at: isoNow(c.created_at),
    last_activity_at: isoNow(c.last_activity_at),
  }));
}

export const listConversations = (ctx: Ctx, userId: string) => loadConversations(ctx, userId);

export async function getConversation(ctx: Ctx, userId: string, conversationId: string): Promise<Conversation> {
  await requireMember(ctx.db, conversationId, userId);
  const [conv] = await loadConversations(ctx, userId, conversationId);
  if (!conv) throw notFound('Conversation not found');
  return conv;
}

/** Ids that name enabled users; the caller gets a 400 naming the ones that do not. */
async function requireUsers(q: Queryable, ids: string[]): Promise<void> {
  const valid = ids.filter(isUuid);
  const { rows } = await q.query<{ id: string }>(
    'SELECT id FROM users WHERE id = ANY($1::uuid[]) AND disabled_at IS NULL',
    [valid],
  );
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new AppError(
      'validation_failed',
      `Unknown user id${missing.length > 1 ? 's' : ''}: ${missing.slice(0, 5).join(', ')}`,
      missing.slice(0, 20).map((id) => ({ path: 'member_ids', message: `unknown user ${id}` })),
    );
  }
}

/** Returns the pair's one direct conversation, creating it if needed (safe under concurrency). */
export async function openDirect(
  ctx: Ctx,
  userId: string,
  otherId: string,
): Promise<{ conversation: Conversation; created: boolean }> {
  if (otherId === userId) throw badRequest('A one-to-one chat needs another person');
  if (!isUuid(otherId)) throw notFound('User not found');
  const { rowCount } = await ctx.db.query('SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL', [otherId]);
  if (rowCount === 0) throw notFound('User not found');
  const key = directKey(userId, otherId);
  const { id, created } = await ctx.db.transaction(async (tx) => {
    const inserted = await tx.query<{ id: string }>(
      `INSERT INTO conversations (kind, direct_key, created_by) VALUES ('direct', $1, $2)
       ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
      [key, userId],
    );
    if (inserted.rows[0]) {
      await tx.query(
        `INSERT INTO conversation_members (conversation_id, user_id, role)
         SELECT $1, u, 'member' FROM unnest($2::uuid[]) AS u`,
        [inserted.rows[0].id, [userId, otherId]],
      );
      return { id: inserted.rows[0].id, created: true };
    }
    // A concurrent creator's insert has committed by now (ON CONFLICT waited for it).
    const existing = await tx.query<{ id: string }>('SELECT id FROM conversations WHERE direct_key = $1', [key]);
    return { id: existing.rows[0]!.id, created: false };
  });
  const conversation = await getConversation(ctx, userId, id);
  if (created) ctx.bus.publishToUsers([otherId], { type: 'conversation_created', payload: { conversation_id: id } });
  return { conversation, created };
}

export async function createGroup(
  ctx: Ctx,
  userId: string,
  input: { title: string; memberIds: string[] },
): Promise<Conversation> {
  const others = [...new Set(input.memberIds)].filter((id) => id !== userId);
  await requireUsers(ctx.db, others);
  const id = await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO conversations (kind, title, created_by) VALUES ('group', $1, $2) RETURNING id`,
      [input.title, userId],
    );
    const conversationId = rows[0]!.id;
    await tx.query(
      `INSERT INTO conversation_members (conversation_id, user_id, role)
       SELECT $1, u, CASE WHEN u = $2::uuid THEN 'owner' ELSE 'member' END FROM unnest($3::uuid[]) AS u`,
      [conversationId, userId, [userId, ...others]],
    );
    return conversationId;
  });
  ctx.bus.publishToUsers(others, { type: 'conversation_created', payload: { conversation_id: id } });
  return getConversation(ctx, userId, id);
}

export async function announceUpdate(ctx: Ctx, conversationId: string, extraUserIds: string[] = []) {
  const ids = await memberIds(ctx.db, conversationId);
  ctx.bus.publishToUsers([...new Set([...ids, ...extraUserIds])], {
    type: 'conversation_updated',
    payload: { conversation_id: conversationId },
  });
}

export async function renameGroup(ctx: Ctx, userId: string, conversationId: string, title: string) {
  const m = await requireMember(ctx.db, conversationId, userId);
  if (!canManage(m)) throw forbidden('Only group owners and admins can rename a group');
  const { rowCount } = await ctx.db.query(
    'UPDATE conversations SET title = $2 WHERE id = $1 AND title IS DISTINCT FROM $2',
    [conversationId, title],
  );
  if (rowCount !== 0) {
    await announceUpdate(ctx, conversationId);
    await postGroupEvent(ctx, userId, conversationId, { event: 'renamed', title });
  }
  return getConversation(ctx, userId, conversationId);
}

/**
 * Adds members; new members start with nothing unread but the event that added them.
 * Existing members are left as they are.
 */
export async function addMembers(ctx: Ctx, userId: string, conversationId: string, userIds: string[]) {
  const m = await requireMember(ctx.db, conversationId, userId);
  if (!canManage(m)) throw forbidden('Only group owners and admins can add members');
  const ids = [...new Set(userIds)];
  await requireUsers(ctx.db, ids);
  // The conversation's lock first (see removeMember), which also gives the last seq as of that
  // lock; the trigger on conversation_members bumps members_version (decision 029).
  const { rows } = await ctx.db.query<{ user_id: string }>(
    `WITH c AS (SELECT id, last_seq FROM conversations WHERE id = $1 FOR UPDATE)
     INSERT INTO conversation_members (conversation_id, user_id, role, last_delivered_seq, last_read_seq)
     SELECT c.id, u, 'member', c.last_seq, c.last_seq FROM c, unnest($2::uuid[]) WITH ORDINALITY AS a(u, n)
      ORDER BY n
     ON CONFLICT (conversation_id, user_id) DO NOTHING
     RETURNING user_id`,
    [conversationId, ids],
  );
  await announceUpdate(ctx, conversationId);
  // In the order asked for (RETURNING gives the inserted rows in the SELECT's order).
  const added = rows.map((r) => r.user_id);
  if (added.length > 0) await postGroupEvent(ctx, userId, conversationId, { event: 'added', user_ids: added });
  return getConversation(ctx, userId, conversationId);
}

/**
 * Removes `targetId` (or the caller, when leaving). Owners remove anyone, admins remove
 * members; a leaving owner hands ownership to the longest-standing admin, else member.
 */
export async function removeMember(ctx: Ctx, userId: string, conversationId: string, targetId: string) {
  const me = await requireMember(ctx.db, conversationId, userId);
  if (me.kind !== 'group') throw badRequest('Members cannot leave or be removed from a one-to-one chat');
  const leaving = targetId === userId;
  if (!leaving) {
    if (!canManage(me)) throw forbidden('Only group owners and admins can remove members');
    if (!isUuid(targetId)) throw notFound('Member not found');
  }
  // One who leaves says so while still a member (a member's event is stored only while they
  // are one); their other devices get it too.
  if (leaving) await postGroupEvent(ctx, userId, conversationId, { event: 'left' });
  await ctx.db.transaction(async (tx) => {
    // The conversation first, then its members' rows, as sends and receipts take them: two
    // members' rows are moved here, and out of that order a receipt batch could hold one of
    // them while waiting for the other (a deadlock). The trigger on conversation_members
    // that bumps members_version locks the conversation too, but only after the member rows
    // (decision 029): here it already holds it.
    await tx.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
    const { rows } = await tx.query<{ role: Role }>(
      'DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 RETURNING role',
      [conversationId, targetId],
    );
    const removed = rows[0];
    if (!removed) throw notFound('Member not found');
    if (!leaving && me.role === 'admin' && removed.role !== 'member') {
      throw forbidden('Admins can remove members only');
    }
    if (removed.role === 'owner') {
      await tx.query(
        `UPDATE conversation_members SET role = 'owner'
          WHERE conversation_id = $1 AND user_id = (
            SELECT user_id FROM conversation_members WHERE conversation_id = $1
             ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1)`,
        [conversationId],
      );
    }
  });
  await announceUpdate(ctx, conversationId, [targetId]);
  if (!leaving) await postGroupEvent(ctx, userId, conversationId, { event: 'removed', user_ids: [targetId] });
}

/** Owner only: make a member an admin, or an admin a member again. */
export async function setMemberRole(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  targetId: string,
  role: 'admin' | 'member',
) {
  const me = await requireMember(ctx.db, conversationId, userId);
  if (me.kind !== 'group' || me.role !== 'owner') throw forbidden('Only the group owner can change roles');
  if (!isUuid(targetId) || targetId === userId) throw notFound('Member not found');
  const { rowCount } = await ctx.db.query(
    `UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2 AND role <> 'owner'`,
    [conversationId, targetId, role],
  );
  if (rowCount === 0) throw notFound('Member not found');
  await announceUpdate(ctx, conversationId);
  return getConversation(ctx, userId, conversationId);
}
