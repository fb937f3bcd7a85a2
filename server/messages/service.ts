import type { Ctx } from '../context.js';
import { isSystemMessage, type HistoryQuery, type Receipt } from '../../protocol/messages.js';
import { isUuid } from '../ids.js';
import { AppError } from '../errors.js';
import { conversationNotFound, requireMember } from '../conversations/access.js';
import { jsonArray, MESSAGE_JOINS, MESSAGE_JSON } from './presenter.js';
import { isImageType } from '../../protocol/uploads.js';
import { SendBatcher, type SendInput, type SendResult } from './batcher.js';
import { ReceiptBatcher, type Watermark } from './receipts.js';

export type { SendInput, SendResult } from './batcher.js';

/** One `make(ctx)` per app context, made on first use. */
const perContext = <T>(make: (ctx: Ctx) => T) => {
  const made = new WeakMap<Ctx, T>();
  return (ctx: Ctx) => {
    let value = made.get(ctx);
    if (value === undefined) made.set(ctx, (value = make(ctx)));
    return value;
  };
};
const batcherOf = perContext((ctx) => new SendBatcher(ctx));
const receiptBatcherOf = perContext((ctx) => new ReceiptBatcher(ctx));

/** Readies the send path's database connections (see SendBatcher.warm). */
export const warmSends = (ctx: Ctx) => batcherOf(ctx).warm();

/**
 * Stores a message and fans it out. `created` is false when this sender already sent this
 * client_id: the stored message is returned and nothing is stored or delivered again.
 * Resolves only after commit: an ack built from the result means the message is durable.
 * Concurrent sends are committed together (group commit, see batcher.ts). `queued` is called
 * once the send holds its place in order, before it is stored.
 */
export async function sendMessage(ctx: Ctx, input: SendInput, queued?: () => void): Promise<SendResult> {
  if (!isUuid(input.conversationId)) throw conversationNotFound();
  // (Calls and group events are the server's record of what a member did, not their words.)
  if (ctx.config.REQUIRE_EMAIL_VERIFICATION && !isSystemMessage(input.messageType)) {
    const { rowCount } = await ctx.db.query('SELECT 1 FROM users WHERE id = $1 AND email_verified_at IS NOT NULL', [
      input.senderId,
    ]);
    if (rowCount === 0) throw new AppError('forbidden', 'Confirm your email address before sending messages');
  }
  if (input.replyTo !== undefined || input.attachmentId !== undefined) await checkReferences(ctx, input);
  const result = batcherOf(ctx).send(input);
  // In the queue: a later send to this conversation is stored after this one.
  queued?.();
  return result;
}

/**
 * A reply answers a message of the same conversation; an attachment is an upload of the
 * sender's, and an image message needs an image. Checked before batching (neither can change
 * afterwards: messages never move, uploads are never retyped), so a bad reference refuses
 * this send alone.
 */
async function checkReferences(ctx: Ctx, input: SendInput) {
  await requireMember(ctx.db, input.conversationId, input.senderId);
  if (input.replyTo !== undefined) {
    const { rowCount } = await ctx.db.query('SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2', [
      isUuid(input.replyTo) ? input.replyTo : null,
      input.conversationId,
    ]);
    if (rowCount === 0) throw new AppError('validation_failed', 'reply_to is not a message of this conversation');
  }
  if (input.attachmentId !== undefined) {
    const { rows } = await ctx.db.query<{ content_type: string }>(
      'SELECT content_type FROM uploads WHERE id = $1 AND owner_id = $2',
      [isUuid(input.attachmentId) ? input.attachmentId : null, input.senderId],
    );
    if (!rows[0]) throw new AppError('validation_failed', 'attachment_id is not an upload of yours');
    if (input.messageType === 'image' && !isImageType(rows[0].content_type)) {
      throw new AppError('validation_failed', 'This upload is not an image: send it as a file');
    }
  }
}

/**
 * A page of history: newest first by offset or before_seq, oldest first after after_seq. The
 * page's statement also proves membership (one round trip; the check and the page read one
 * snapshot); only an empty page asks again, to tell a non-member (404) from an empty page.
 *
 * Answered as the JSON text of the page's array, built by PostgreSQL (MESSAGE_JSON: what
 * presentMessage makes of each row) and sent as it is: the server parses no rows, builds no
 * objects and serializes nothing, which was 40% of its CPU per page of 50 (decision 033).
 */
export async function historyPageJson(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  q: HistoryQuery,
): Promise<string> {
  if (!isUuid(conversationId)) throw conversationNotFound();
  const page = (where: string, order: 'ASC' | 'DESC', tail: string) =>
    `SELECT ${jsonArray('p.message', `p.seq ${order}`)} AS json
       FROM (SELECT ${MESSAGE_JSON} AS message, m.seq FROM messages m ${MESSAGE_JOINS}
              WHERE m.conversation_id = $1
                AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = $1 AND cm.user_id = $2)
                ${where} ORDER BY m.seq ${order} ${tail}) p`;
  // Named: each connection parses and plans a page's statement once, not for every page (about
  // a quarter of a millisecond of a page's 1–1.5 ms in PostgreSQL). Its best plan is the same
  // for any values: the (conversation_id, seq) index, in one direction or the other.
  let result;
  if (q.after_seq !== undefined) {
    result = await ctx.db.query<{ json: string }>(
      page('AND m.seq > $3', 'ASC', 'LIMIT $4'),
      [conversationId, userId, q.after_seq, q.limit],
      { name: 'history_after' },
    );
  } else if (q.before_seq !== undefined) {
    result = await ctx.db.query<{ json: string }>(
      page('AND m.seq < $3', 'DESC', 'LIMIT $4'),
      [conversationId, userId, q.before_seq, q.limit],
      { name: 'history_before' },
    );
  } else {
    result = await ctx.db.query<{ json: string }>(
      page('', 'DESC', 'LIMIT $3 OFFSET $4'),
      [conversationId, userId, q.limit, q.offset],
      { name: 'history_newest' },
    );
  }
  const json = result.rows[0]!.json;
  if (json === '[]') await requireMember(ctx.db, conversationId, userId);
  return json;
}

/**
 * Moves the caller's watermark forward to `seq` (never back, never past the last message).
 * Reading implies delivery. Members hear of the change through `receipt_update`. Concurrent
 * receipts are committed together (see receipts.ts).
 */
export async function advanceWatermark(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  seq: number,
  kind: Watermark,
): Promise<Receipt> {
  if (!isUuid(conversationId)) throw conversationNotFound();
  return receiptBatcherOf(ctx).advance(userId, conversationId, seq, kind);
}
