import type { Queryable } from '../db/client.js';
import type { Role } from '../../protocol/conversations.js';
import { notFound } from '../errors.js';
import { isUuid } from '../ids.js';

export interface Membership {
  role: Role;
  kind: 'direct' | 'group';
}

export const conversationNotFound = () => notFound('Conversation not found');

/**
 * The caller's membership of a conversation. A non-member gets the same 404 as for a
 * conversation that does not exist, so ids cannot be probed.
 */
export async function requireMember(q: Queryable, conversationId: string, userId: string): Promise<Membership> {
  if (!isUuid(conversationId)) throw conversationNotFound();
  const { rows } = await q.query<Membership>(
    `SELECT cm.role, c.kind FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.conversation_id = $1 AND cm.user_id = $2`,
    [conversationId, userId],
  );
  if (!rows[0]) throw conversationNotFound();
  return rows[0];
}

export const canManage = (m: Membership) => m.kind === 'group' && (m.role === 'owner' || m.role === 'admin');

/** User ids of the current members (fan-out targets). */
export async function memberIds(q: Queryable, conversationId: string): Promise<string[]> {
  const { rows } = await q.query<{ user_id: string }>(
    'SELECT user_id FROM conversation_members WHERE conversation_id = $1',
    [conversationId],
  );
  return rows.map((r) => r.user_id);
}
