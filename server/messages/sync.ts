import type { Ctx } from '../context.js';
import { WS_LIMITS } from '../../protocol/frames.js';
import { isUuid } from '../ids.js';
import { AppError } from '../errors.js';
import { jsonArray, MESSAGE_JOINS, MESSAGE_JSON } from './presenter.js';

/**
 * Catch-up: for each conversation, the messages after the client's last known seq (a page of
 * up to 100; `has_more` says to page the rest over REST) and, when the client sends its change
 * cursor, the current state of older messages edited, deleted or reacted to since (a page of
 * up to 200, `changes_has_more` says to page the rest). Two queries however many
 * conversations. Conversations the user is not a member of are reported, not returned.
 *
 * Answered as the JSON text of the sync_result payload: each conversation's messages and
 * changes arrive as JSON arrays built by PostgreSQL (MESSAGE_JSON, as history pages are:
 * decision 033), and are passed on without being parsed, presented or serialized again.
 */
export async function syncConversations(
  ctx: Ctx,
  userId: string,
  wanted: { conversation_id: string; after_seq: number; after_change_seq?: number | undefined }[],
): Promise<{ json: string; unknown: string[] }> {
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
  // Each conversation's page as one JSON array, from one more message than the page holds
  // (`n`: whether there are more).
  const { rows } = await ctx.db.query<{ wanted_id: string; is_member: boolean; last_change_seq: number } & Page>(
    `SELECT w.conversation_id AS wanted_id, (cm.user_id IS NOT NULL) AS is_member, c.last_change_seq, x.json, x.n
       FROM unnest($2::uuid[], $3::int[]) AS w(conversation_id, after_seq)
       LEFT JOIN conversation_members cm ON cm.conversation_id = w.conversation_id AND cm.user_id = $1
       LEFT JOIN conversations c ON c.id = cm.conversation_id
       LEFT JOIN LATERAL (${pageOf('m.seq > w.after_seq AND cm.user_id IS NOT NULL', 'm.seq')}) x ON true`,
    [userId, valid.map(([id]) => id), valid.map(([, a]) => a.seq), page + 1, page],
  );
  const messagesBy = new Map<string, Page>();
  const lastChange = new Map<string, number>();
  for (const r of rows) {
    if (!r.is_member) continue;
    lastChange.set(r.wanted_id, r.last_change_seq);
    messagesBy.set(r.wanted_id, r);
  }

  // Changes, only where the client sent a cursor and something changed after it.
  const withCursor = valid.filter(([id, a]) => a.change !== undefined && (lastChange.get(id) ?? 0) > a.change);
  const changesBy = new Map<string, Page>();
  if (withCursor.length > 0) {
    const { rows: changed } = await ctx.db.query<{ wanted_id: string } & Page>(
      `SELECT w.conversation_id AS wanted_id, x.json, x.n
         FROM unnest($1::uuid[], $2::int[], $3::int[]) AS w(conversation_id, after_seq, after_change)
         JOIN LATERAL (${pageOf(
           'm.change_seq > 0 AND m.change_seq > w.after_change AND m.seq <= w.after_seq',
           'm.change_seq',
         )}) x ON true`,
      [
        withCursor.map(([id]) => id),
        withCursor.map(([, a]) => a.seq),
        withCursor.map(([, a]) => a.change),
        changesPage + 1,
        changesPage,
      ],
    );
    for (const r of changed) changesBy.set(r.wanted_id, r);
  }

  const unknown = wanted.map((w) => w.conversation_id).filter((id) => !lastChange.has(id));
  const conversations = [...new Set(wanted.map((w) => w.conversation_id))]
    .filter((id) => lastChange.has(id))
    .map((id) => {
      const messages = messagesBy.get(id);
      const changes = changesBy.get(id);
      // The keys of SyncResult's conversations, in its order.
      return (
        `{"conversation_id":${JSON.stringify(id)},"messages":${messages?.json ?? '[]'},` +
        `"has_more":${(messages?.n ?? 0) > page},"changes":${changes?.json ?? '[]'},` +
        `"last_change_seq":${lastChange.get(id)!},"changes_has_more":${(changes?.n ?? 0) > changesPage}}`
      );
    });
  return { json: `{"conversations":[${conversations.join(',')}]}`, unknown };
}

/**
 * One conversation's page: its messages as a JSON array, and how many were read (one more
 * than a page says there are more).
 */
interface Page {
  json: string;
  n: number;
}

/**
 * The messages of `w.conversation_id` that `where` selects, the first $4 (a page and one more)
 * by `order`, as a JSON array of the first $5 (the page) and their count: a LATERAL subquery.
 */
const pageOf = (where: string, order: string) =>
  `SELECT ${jsonArray('p.message', 'p.k', 'p.k <= $5')} AS json, count(*)::int AS n
     FROM (SELECT ${MESSAGE_JSON} AS message, row_number() OVER (ORDER BY ${order}) AS k
             FROM (SELECT * FROM messages m WHERE m.conversation_id = w.conversation_id AND ${where}
                    ORDER BY ${order} LIMIT $4) m ${MESSAGE_JOINS}) p`;

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
