import type { Ctx } from '../context.js';
import type { Queryable } from '../db/client.js';
import { isSystemMessage, type ChangeList, type Message } from '../../protocol/messages.js';
import { LIMITS } from '../../protocol/limits.js';
import { AppError, notFound } from '../errors.js';
import { isUuid } from '../ids.js';
import { memberIds, requireMember } from '../conversations/access.js';
import { enqueue } from '../jobs/queue.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from './presenter.js';

const messageNotFound = () => notFound('Message not found');

interface Target {
  id: string;
  conversation_id: string;
  sender_id: string | null;
  kind: string;
  body: string;
  created_at: Date;
  deleted_at: Date | null;
  attachment_id: string | null;
  role: 'owner' | 'admin' | 'member';
  conversation_kind: 'direct' | 'group';
}

/** What an action did inside the transaction: `changed` false leaves the message as it was. */
type Apply = (tx: Queryable, target: Target) => Promise<boolean>;

/**
 * Runs one change to a message the caller can see, in one transaction: the message row is
 * locked (FOR NO KEY UPDATE: changes of one message wait for each other, but a send answering
 * it does not wait for the change, which would deadlock them: the send holds the
 * conversation's lock while its reply_to check takes FOR KEY SHARE), then the conversation,
 * the action applied and, when it changed anything, the conversation's change number
 * bumped and stamped on the message. After commit every member gets `message_updated` with the
 * message's whole current state. A non-member (or a message that does not exist) gets 404.
 */
async function changeMessage(ctx: Ctx, userId: string, messageId: string, apply: Apply): Promise<Message> {
  if (!isUuid(messageId)) throw messageNotFound();
  let reservation: ReturnType<Ctx['publishOrder']['reserve']> | undefined;
  let outcome: { message: Message; members: string[]; changed: boolean };
  try {
    outcome = await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<Target>(
        `SELECT m.id, m.conversation_id, m.sender_id, m.kind, m.body, m.created_at, m.deleted_at, m.attachment_id,
                cm.role, c.kind AS conversation_kind
           FROM messages m
           JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $2
           JOIN conversations c ON c.id = m.conversation_id
          WHERE m.id = $1
            FOR NO KEY UPDATE OF m`,
        [messageId, userId],
      );
      const target = rows[0];
      if (!target) throw messageNotFound();
      // The conversation next, before the change touches anything else (an upload it drops):
      // a send holds the conversation while its key checks take the rows it points at.
      await tx.query('SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE', [target.conversation_id]);
      const changed = await apply(tx, target);
      if (changed) {
        // The conversation row lock orders changes: change numbers follow commit order.
        const { rows: bumped } = await tx.query<{ last_change_seq: number }>(
          'UPDATE conversations SET last_change_seq = last_change_seq + 1 WHERE id = $1 RETURNING last_change_seq',
          [target.conversation_id],
        );
        await tx.query('UPDATE messages SET change_seq = $2 WHERE id = $1', [messageId, bumped[0]!.last_change_seq]);
        reservation = ctx.publishOrder.reserve(target.conversation_id);
      }
      const { rows: current } = await tx.query<MessageRow>(
        `SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS} WHERE m.id = $1`,
        [messageId],
      );
      return { message: presentMessage(current[0]!), members: await memberIds(tx, target.conversation_id), changed };
    });
  } catch (err) {
    if (reservation) ctx.publishOrder.release(reservation);
    throw err;
  }
  if (reservation) {
    const { message, members } = outcome;
    ctx.publishOrder.release(reservation, () =>
      ctx.bus.publishToUsers(members, { type: 'message_updated', payload: message }),
    );
  }
  return outcome.message;
}

const requireLive = (t: Target) => {
  if (t.deleted_at) throw new AppError('conflict', 'This message was deleted');
};

/** A call or a group event is the conversation's record: nobody deletes or reacts to it. */
const requireWritten = (t: Target) => {
  if (isSystemMessage(t.kind)) throw new AppError('forbidden', 'Calls and group events cannot be changed');
};

/** Replaces the text of the caller's own text message, within the edit window. */
export function editMessage(ctx: Ctx, userId: string, messageId: string, content: string) {
  return changeMessage(ctx, userId, messageId, async (tx, t) => {
    requireLive(t);
    if (t.sender_id !== userId) throw new AppError('forbidden', 'You can only edit your own messages');
    if (t.kind !== 'text') throw new AppError('forbidden', 'Only text messages can be edited');
    const window = ctx.config.MESSAGE_EDIT_WINDOW_SECONDS;
    if (window > 0 && ctx.now().getTime() - t.created_at.getTime() > window * 1000) {
      throw new AppError('forbidden', `Messages can be edited for ${describeSeconds(window)} after sending`);
    }
    if (t.body === content) return false;
    await tx.query('UPDATE messages SET body = $2, edited_at = now() WHERE id = $1', [t.id, content]);
    return true;
  });
}

/**
 * Deletes a message for everyone: its text, reply link, reactions and attachment are erased
 * (the upload too, when no other message shows it; its bytes are removed by a job), and a
 * tombstone keeps the seq. The author may delete; so may a group's owner and admins.
 */
export function deleteMessage(ctx: Ctx, userId: string, messageId: string) {
  return changeMessage(ctx, userId, messageId, async (tx, t) => {
    if (t.deleted_at) return false;
    requireWritten(t);
    const isModerator = t.conversation_kind === 'group' && (t.role === 'owner' || t.role === 'admin');
    if (t.sender_id !== userId && !isModerator) {
      throw new AppError('forbidden', 'You can only delete your own messages');
    }
    await tx.query('DELETE FROM message_reactions WHERE message_id = $1', [t.id]);
    await tx.query(
      `UPDATE messages SET body = '', reply_to = NULL, attachment_id = NULL, reactions = '[]', edited_at = NULL,
              deleted_at = now()
        WHERE id = $1`,
      [t.id],
    );
    if (t.attachment_id) await dropUploadIfUnused(tx, t.attachment_id);
    return true;
  });
}

/** Deletes an upload no live message shows, and queues the removal of its stored bytes. */
export async function dropUploadIfUnused(tx: Queryable, uploadId: string) {
  const { rows } = await tx.query<{ storage_key: string; thumbnail_key: string | null }>(
    `DELETE FROM uploads u WHERE u.id = $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = u.id)
     RETURNING storage_key, thumbnail_key`,
    [uploadId],
  );
  const row = rows[0];
  if (row) await enqueue(tx, 'delete_stored', { keys: [row.storage_key, row.thumbnail_key].filter(Boolean) });
}

/** Puts the caller's emoji on a message (once; adding it again changes nothing). */
export function addReaction(ctx: Ctx, userId: string, messageId: string, emoji: string) {
  return changeMessage(ctx, userId, messageId, async (tx, t) => {
    requireLive(t);
    requireWritten(t);
    const { rows } = await tx.query<{ mine: number; distinct_emojis: number; has: boolean; exists: boolean }>(
      `SELECT count(*) FILTER (WHERE user_id = $2)::int AS mine, count(DISTINCT emoji)::int AS distinct_emojis,
              bool_or(user_id = $2 AND emoji = $3) AS has, bool_or(emoji = $3) AS exists
         FROM message_reactions WHERE message_id = $1`,
      [t.id, userId, emoji],
    );
    const r = rows[0]!;
    if (r.has) return false;
    if (r.mine >= LIMITS.reactionsPerUserMax) {
      throw new AppError('validation_failed', `At most ${LIMITS.reactionsPerUserMax} reactions per message`);
    }
    if (!r.exists && r.distinct_emojis >= LIMITS.reactionsPerMessageMax) {
      throw new AppError('validation_failed', `At most ${LIMITS.reactionsPerMessageMax} different emojis per message`);
    }
    await tx.query('INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)', [
      t.id,
      userId,
      emoji,
    ]);
    await summarizeReactions(tx, t.id);
    return true;
  });
}

/** Takes the caller's emoji off a message (taking it off again changes nothing). */
export function removeReaction(ctx: Ctx, userId: string, messageId: string, emoji: string) {
  return changeMessage(ctx, userId, messageId, async (tx, t) => {
    requireLive(t);
    requireWritten(t);
    const { rowCount } = await tx.query(
      'DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3',
      [t.id, userId, emoji],
    );
    if (rowCount === 0) return false;
    await summarizeReactions(tx, t.id);
    return true;
  });
}

/** Rewrites the message's reaction summary from its rows: emojis by first use, reactors in order. */
async function summarizeReactions(tx: Queryable, messageId: string) {
  await tx.query(
    `UPDATE messages SET reactions = COALESCE((
       SELECT jsonb_agg(jsonb_build_object('emoji', emoji, 'user_ids', user_ids) ORDER BY first_at, emoji)
         FROM (SELECT emoji, jsonb_agg(user_id ORDER BY created_at, user_id) AS user_ids, min(created_at) AS first_at
                 FROM message_reactions WHERE message_id = $1 GROUP BY emoji) g), '[]'::jsonb)
      WHERE id = $1`,
    [messageId],
  );
}

/** The messages changed after `afterChangeSeq`, oldest change first (a page). */
export async function listChanges(
  ctx: Ctx,
  userId: string,
  conversationId: string,
  afterChangeSeq: number,
  limit: number,
): Promise<ChangeList> {
  await requireMember(ctx.db, conversationId, userId);
  // The cursor first: every change up to it is committed (a change and its number commit
  // together), so the page below holds each of them or a later change of the same message.
  const { rows: conv } = await ctx.db.query<{ last_change_seq: number }>(
    'SELECT last_change_seq FROM conversations WHERE id = $1',
    [conversationId],
  );
  const { rows } = await ctx.db.query<MessageRow>(
    `SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS}
      WHERE m.conversation_id = $1 AND m.change_seq > 0 AND m.change_seq > $2
      ORDER BY m.change_seq LIMIT $3`,
    [conversationId, afterChangeSeq, limit + 1],
  );
  return {
    changes: rows.slice(0, limit).map(presentMessage),
    last_change_seq: conv[0]?.last_change_seq ?? 0,
    has_more: rows.length > limit,
  };
}

function describeSeconds(s: number) {
  if (s % 86_400 === 0) return s === 86_400 ? '24 hours' : `${s / 86_400} days`;
  if (s % 3600 === 0) return s === 3600 ? '1 hour' : `${s / 3600} hours`;
  if (s % 60 === 0) return s === 60 ? '1 minute' : `${s / 60} minutes`;
  return `${s} seconds`;
}
