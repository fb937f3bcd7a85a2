import type { Ctx } from '../context.js';
import type { ServerPayload } from '../../protocol/frames.js';
import { WS_LIMITS } from '../../protocol/frames.js';
import { isUuid } from '../ids.js';
import { AppError } from '../errors.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from './presenter.js';

/**
 * Catch-up: for each conversation, the messages after the client's last known seq (a page of
 * up to 100; `has_more` says to page the rest over REST) and, when the client sends its change
 * cursor, the current state of older messages edited, deleted or reacted to since (a page of
 * up to 200, `changes_has_more` says to page the rest). Two queries however many
 * conversations. Conversations the user is not a member of are reported, not returned.
 */
export async function syncConversations(
  ctx: Ctx,
  userId: string,
  wanted: { conversation_id: string; after_seq: number; after_change_seq?: number | undefined }[],
): Promise<{ result: ServerPayload<'sync_result'>; unknown: string[] }> {
  // A conversation named twice is synced once, from the lower seq and change.
  const after = new Map<string, { seq: number; change: number | undefined }>();
  for (const w of wanted) {
    if (!isUuid(w.conversation_id)) continue;
    const seen = after.get(w.conversation_id);
    const change = lower(seen?.change, w.after_change_seq);
    after.set(w.conversation_id, { seq: Math.min(seen?.seq ?? w.after_seq, w.after_seq), change });
  }
  const valid = [...after];
  const page = WS_LIMITS.syncPageSize;
  const changesPage = WS_LIMITS.syncChangesPageSize;
  const { rows } = await ctx.db.query<MessageRow & { wanted_id: string; is_member: boolean; last_change_seq: number }>(
    `SELECT w.conversation_id AS wanted_id, (cm.user_id IS NOT NULL) AS is_member, c.last_change_seq, x.*
       FROM unnest($2::uuid[], $3::int[]) AS w(conversation_id, after_seq)
       LEFT JOIN conversation_members cm ON cm.conversation_id = w.conversation_id AND cm.user_id = $1
       LEFT JOIN conversations c ON c.id = cm.conversation_id
       LEFT JOIN LATERAL (
         SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS}
          WHERE m.conversation_id = w.conversation_id AND m.seq > w.after_seq AND cm.user_id IS NOT NULL
          ORDER BY m.seq LIMIT $4) x ON true
      ORDER BY w.conversation_id, x.seq`,
    [userId, valid.map(([id]) => id), valid.map(([, a]) => a.seq), page + 1],
  );
  const byConversation = new Map<string, MessageRow[]>();
  const lastChange = new Map<string, number>();
  for (const r of rows) {
    if (!r.is_member) continue;
    lastChange.set(r.wanted_id, r.last_change_seq);
    const list = byConversation.get(r.wanted_id) ?? [];
    if (r.id) list.push(r);
    byConversation.set(r.wanted_id, list);
  }

  // Changes, only where the client sent a cursor and something changed after it.
  const withCursor = valid.filter(([id, a]) => a.change !== undefined && (lastChange.get(id) ?? 0) > a.change);
  const changesBy = new Map<string, MessageRow[]>();
  if (withCursor.length > 0) {
    const { rows: changed } = await ctx.db.query<MessageRow & { wanted_id: string }>(
      `SELECT w.conversation_id AS wanted_id, x.*
         FROM unnest($1::uuid[], $2::int[], $3::int[]) AS w(conversation_id, after_seq, after_change)
         JOIN LATERAL (
           SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS}
            WHERE m.conversation_id = w.conversation_id AND m.change_seq > 0 AND m.change_seq > w.after_change
              AND m.seq <= w.after_seq
            ORDER BY m.change_seq LIMIT $4) x ON true
        ORDER BY w.conversation_id, x.change_seq`,
      [
        withCursor.map(([id]) => id),
        withCursor.map(([, a]) => a.seq),
        withCursor.map(([, a]) => a.change),
        changesPage + 1,
      ],
    );
    for (const r of changed) changesBy.set(r.wanted_id, [...(changesBy.get(r.wanted_id) ?? []), r]);
  }

  const unknown = wanted.map((w) => w.conversation_id).filter((id) => !lastChange.has(id));
  const conversations = [...new Set(wanted.map((w) => w.conversation_id))]
    .filter((id) => lastChange.has(id))
    .map((id) => {
      const list = byConversation.get(id) ?? [];
      const changes = changesBy.get(id) ?? [];
      return {
        conversation_id: id,
        messages: list.slice(0, page).map(presentMessage),
        has_more: list.length > page,
        changes: changes.slice(0, changesPage).map(presentMessage),
        last_change_seq: lastChange.get(id)!,
        changes_has_more: changes.length > changesPage,
      };
    });
  return { result: { conversations }, unknown };
}

const lower = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

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
