import type { Ctx } from '../context.js';
import type { HistoryQuery, Message, Receipt } from '../../protocol/messages.js';
import { AppError } from '../errors.js';
import { isUuid } from '../ids.js';
import { conversationNotFound, memberIds, requireMember } from '../conversations/access.js';
import { MESSAGE_COLUMNS, presentMessage, type MessageRow } from './presenter.js';
import type { Reservation } from './publish-order.js';

export interface SendInput {
  senderId: string;
  conversationId: string;
  content: string;
  messageType: string;
  clientId: string;
}

/** Thrown inside the transaction to roll it back when the client_id was taken meanwhile. */
class DuplicateSend extends Error {}

/**
 * Stores a message and fans it out. `created` is false when this sender already sent this
 * client_id: the stored message is returned and nothing is stored or delivered again.
 * Resolves only after commit: an ack built from the result means the message is durable.
 */
export async function sendMessage(ctx: Ctx, input: SendInput): Promise<{ message: Message; created: boolean }> {
  if (!isUuid(input.conversationId)) throw conversationNotFound();
  const existing = await findByClientId(ctx, input);
  if (existing) {
    // A retry is answered with the stored message, but only while the sender is still a member.
    await requireMember(ctx.db, input.conversationId, input.senderId);
    return { message: existing, created: false };
  }

  let stored: { row: MessageRow; members: string[] };
  let reserved: Reservation | undefined;
  try {
    stored = await ctx.db.transaction(async (tx) => {
      // Membership check and seq allocation in one statement; the row lock orders concurrent sends.
      const seqResult = await tx.query<{ last_seq: number }>(
        `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now()
          WHERE id = $1 AND EXISTS (
            SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2)
          RETURNING last_seq`,
        [input.conversationId, input.senderId],
      );
      const seq = seqResult.rows[0]?.last_seq;
      if (seq === undefined) throw conversationNotFound();
      reserved = ctx.publishOrder.reserve(input.conversationId);
      const inserted = await tx.query<MessageRow>(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sender_id, client_id) DO NOTHING
         RETURNING ${MESSAGE_COLUMNS}`,
        [input.conversationId, seq, input.senderId, input.clientId, input.messageType, input.content],
      );
      if (!inserted.rows[0]) throw new DuplicateSend();
      // The sender has received and read their own message.
      const { rows } = await tx.query<{ user_id: string }>(
        `WITH me AS (
           UPDATE conversation_members
              SET last_delivered_seq = GREATEST(last_delivered_seq, $3),
                  last_read_seq = GREATEST(last_read_seq, $3)
            WHERE conversation_id = $1 AND user_id = $2)
         SELECT user_id FROM conversation_members WHERE conversation_id = $1`,
        [input.conversationId, input.senderId, seq],
      );
      return { row: inserted.rows[0], members: rows.map((r) => r.user_id) };
    });
  } catch (err) {
    // Rolled back: its place in the publish order is given up.
    if (reserved) ctx.publishOrder.release(reserved);
    if (!(err instanceof DuplicateSend)) throw err;
    const again = await findByClientId(ctx, input);
    if (!again) throw err;
    await requireMember(ctx.db, input.conversationId, input.senderId);
    return { message: again, created: false };
  }
  const message = presentMessage(stored.row);
  ctx.publishOrder.release(reserved!, () =>
    ctx.bus.publishToUsers(stored.members, { type: 'new_message', payload: message }),
  );
  return { message, created: true };
}

async function findByClientId(ctx: Ctx, input: SendInput): Promise<Message | null> {
  const { rows } = await ctx.db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_id = $2`,
    [input.senderId, input.clientId],
  );
  const row = rows[0];
  if (!row) return null;
  if (row.conversation_id !== input.conversationId) {
    throw new AppError('conflict', 'This client_id was already used for a message in another conversation');
  }
  return presentMessage(row);
}

/** A page of history: newest first by offset or before_seq, oldest first after after_seq. */
export async function listMessages(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  q: HistoryQuery,
): Promise<Message[]> {
  await requireMember(ctx.db, conversationId, userId);
  const base = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1`;
  let result;
  if (q.after_seq !== undefined) {
    result = await ctx.db.query<MessageRow>(`${base} AND seq > $2 ORDER BY seq ASC LIMIT $3`, [
      conversationId,
      q.after_seq,
      q.limit,
    ]);
  } else if (q.before_seq !== undefined) {
    result = await ctx.db.query<MessageRow>(`${base} AND seq < $2 ORDER BY seq DESC LIMIT $3`, [
      conversationId,
      q.before_seq,
      q.limit,
    ]);
  } else {
    result = await ctx.db.query<MessageRow>(`${base} ORDER BY seq DESC LIMIT $2 OFFSET $3`, [
      conversationId,
      q.limit,
      q.offset,
    ]);
  }
  return result.rows.map(presentMessage);
}

export type Watermark = 'read' | 'delivered';

/**
 * Moves the caller's watermark forward to `seq` (never back, never past the last message).
 * Reading implies delivery. Members hear of the change through `receipt_update`.
 */
export async function advanceWatermark(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  seq: number,
  kind: Watermark,
): Promise<Receipt> {
  if (!isUuid(conversationId)) throw conversationNotFound();
  const setRead = kind === 'read' ? 'last_read_seq = GREATEST(cm.last_read_seq, LEAST($3, c.last_seq)),' : '';
  const { rows } = await ctx.db.query<{ last_delivered_seq: number; last_read_seq: number; moved: boolean }>(
    `WITH before AS (
       SELECT last_delivered_seq, last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2)
     UPDATE conversation_members cm SET ${setRead}
            last_delivered_seq = GREATEST(cm.last_delivered_seq, LEAST($3, c.last_seq))
       FROM conversations c, before b
      WHERE c.id = cm.conversation_id AND cm.conversation_id = $1 AND cm.user_id = $2
      RETURNING cm.last_delivered_seq, cm.last_read_seq,
                (cm.last_delivered_seq, cm.last_read_seq) IS DISTINCT FROM (b.last_delivered_seq, b.last_read_seq) AS moved`,
    [conversationId, userId, seq],
  );
  const row = rows[0];
  if (!row) throw conversationNotFound();
  const receipt: Receipt = {
    conversation_id: conversationId,
    user_id: userId,
    delivered_seq: row.last_delivered_seq,
    read_seq: row.last_read_seq,
  };
  if (row.moved) {
    ctx.bus.publishToUsers(await memberIds(ctx.db, conversationId), { type: 'receipt_update', payload: receipt });
  }
  return receipt;
}
