import type { Ctx } from '../context.js';
import type { ServerPayload } from '../../protocol/frames.js';
import { WS_LIMITS } from '../../protocol/frames.js';
import { isUuid } from '../ids.js';
import { AppError } from '../errors.js';
import { MESSAGE_COLUMNS, presentMessage, type MessageRow } from './presenter.js';

/**
 * Catch-up: for each conversation, the messages after the client's last known seq (a page of
 * up to 100; `has_more` says to page the rest over REST). One query however many
 * conversations. Conversations the user is not a member of are reported, not returned.
 */
export async function syncConversations(
  ctx: Ctx,
  userId: string,
  wanted: { conversation_id: string; after_seq: number }[],
): Promise<{ result: ServerPayload<'sync_result'>; unknown: string[] }> {
  // A conversation named twice is synced once, from the lower seq.
  const after = new Map<string, number>();
  for (const w of wanted) {
    if (isUuid(w.conversation_id))
      after.set(w.conversation_id, Math.min(after.get(w.conversation_id) ?? w.after_seq, w.after_seq));
  }
  const valid = [...after].map(([conversation_id, after_seq]) => ({ conversation_id, after_seq }));
  const page = WS_LIMITS.syncPageSize;
  const { rows } = await ctx.db.query<MessageRow & { wanted_id: string; is_member: boolean }>(
    `SELECT w.conversation_id AS wanted_id, (cm.user_id IS NOT NULL) AS is_member, m.*
       FROM unnest($2::uuid[], $3::int[]) AS w(conversation_id, after_seq)
       LEFT JOIN conversation_members cm ON cm.conversation_id = w.conversation_id AND cm.user_id = $1
       LEFT JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS} FROM messages
          WHERE conversation_id = w.conversation_id AND seq > w.after_seq AND cm.user_id IS NOT NULL
          ORDER BY seq LIMIT $4) m ON true
      ORDER BY w.conversation_id, m.seq`,
    [userId, valid.map((w) => w.conversation_id), valid.map((w) => w.after_seq), page + 1],
  );
  const byConversation = new Map<string, MessageRow[]>();
  const members = new Set<string>();
  for (const r of rows) {
    if (!r.is_member) continue;
    members.add(r.wanted_id);
    const list = byConversation.get(r.wanted_id) ?? [];
    if (r.id) list.push(r);
    byConversation.set(r.wanted_id, list);
  }
  const unknown = wanted.map((w) => w.conversation_id).filter((id) => !members.has(id));
  const conversations = [...new Set(wanted.map((w) => w.conversation_id))]
    .filter((id) => members.has(id))
    .map((id) => {
      const list = byConversation.get(id) ?? [];
      return { conversation_id: id, messages: list.slice(0, page).map(presentMessage), has_more: list.length > page };
    });
  return { result: { conversations }, unknown };
}

/** The conversation and seq of a message the user can see (read_receipt by message_id). */
export async function locateMessage(ctx: Ctx, userId: string, messageId: string) {
  if (!isUuid(messageId)) throw new AppError('not_found', 'Message not found');
  const { rows } = await ctx.db.query<{ conversation_id: string; seq: number }>(
    `SELECT m.conversation_id, m.seq FROM messages m
       JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $2
      WHERE m.id = $1`,
    [messageId, userId],
  );
  if (!rows[0]) throw new AppError('not_found', 'Message not found');
  return rows[0];
}
