import type { Ctx } from '../context.js';
import type { Message } from '../../protocol/messages.js';
import { AppError } from '../errors.js';
import { conversationNotFound } from '../conversations/access.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from './presenter.js';
import type { Reservation } from './publish-order.js';

export interface SendInput {
  senderId: string;
  conversationId: string;
  content: string;
  messageType: string;
  clientId: string;
  /** A message of the same conversation (checked before batching). */
  replyTo?: string | undefined;
  /** An upload of the sender's (checked before batching). */
  attachmentId?: string | undefined;
}

export interface SendResult {
  message: Message;
  /** False when this sender already sent this client_id: the stored message, nothing new. */
  created: boolean;
}

interface Item {
  input: SendInput;
  resolve: (r: SendResult) => void;
  reject: (err: unknown) => void;
}

/** Thrown inside a batch's transaction when a client_id was stored meanwhile (another node). */
class Raced extends Error {}

const MAX_BATCH = 512;

/** A stable lane for a conversation id (its last hex digits). */
const laneOf = (conversationId: string, lanes: number) => parseInt(conversationId.slice(-4), 16) % lanes;

/**
 * Group commit: sends that arrive while earlier ones are being stored are stored together, in
 * one transaction of four statements, instead of one transaction each. A lone
 * send goes at once (no added latency); under load, batches grow by themselves. Every send
 * is still acknowledged only after its batch commits, each conversation's seqs stay gapless
 * and in submission order, and a repeated client_id is answered with the stored message.
 */
export class SendBatcher {
  // Lanes by conversation: batches of different lanes touch different conversations, so
  // they run side by side without waiting on each other's row locks; one lane runs one
  // batch at a time, so a conversation's sends keep their order.
  private readonly lanes: { queue: Item[]; busy: boolean }[];

  constructor(
    private readonly ctx: Ctx,
    lanes = 4,
  ) {
    this.lanes = Array.from({ length: lanes }, () => ({ queue: [], busy: false }));
  }

  send(input: SendInput): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      const lane = this.lanes[laneOf(input.conversationId, this.lanes.length)]!;
      lane.queue.push({ input, resolve, reject });
      this.pump(lane);
    });
  }

  private pump(lane: { queue: Item[]; busy: boolean }) {
    if (lane.busy || lane.queue.length === 0) return;
    lane.busy = true;
    const batch = lane.queue.splice(0, MAX_BATCH);
    void this.run(batch).finally(() => {
      lane.busy = false;
      this.pump(lane);
    });
  }

  private async run(batch: Item[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store(batch);
      } catch (err) {
        // A client_id stored by another node between our check and our insert: run the batch
        // again, and the check answers it. Anything else fails every send of the batch.
        if (err instanceof Raced && attempt < 3) continue;
        for (const item of batch) item.reject(err);
        return;
      }
    }
  }

  private async store(batch: Item[]) {
    const { ctx } = this;
    // 1. Retries: client_ids this sender already used are answered with the stored message.
    const { rows: existing } = await ctx.db.query<MessageRow>(
      `SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS}
        WHERE (m.sender_id, m.client_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))`,
      [batch.map((i) => i.input.senderId), batch.map((i) => i.input.clientId)],
    );
    const key = (senderId: string, clientId: string) => `${senderId}\n${clientId}`;
    const stored = new Map(existing.map((r) => [key(r.sender_id, r.client_id!), r]));
    // The first of several sends with one client_id in this batch is stored; the rest follow it.
    const fresh = new Map<string, Item[]>();
    const repeats: [Item, MessageRow][] = [];
    for (const item of batch) {
      const k = key(item.input.senderId, item.input.clientId);
      const row = stored.get(k);
      if (row) repeats.push([item, row]);
      else fresh.set(k, [...(fresh.get(k) ?? []), item]);
    }
    const firsts = [...fresh.values()].map((items) => items[0]!);

    const reserved: Reservation[] = [];
    let outcome: { rows: MessageRow[]; members: Map<string, string[]>; refused: Set<Item> };
    try {
      outcome = await ctx.db.transaction(async (tx) => {
        const conversationIds = [...new Set(firsts.map((i) => i.input.conversationId))];
        const members = new Map<string, string[]>(conversationIds.map((id) => [id, []]));
        const refused = new Set<Item>();
        if (firsts.length === 0) return { rows: [], members, refused };
        // 2. Lock the conversations in id order (two batches never wait on each other in a
        //    cycle); read their last seq and members (membership check and fan-out).
        const { rows: convs } = await tx.query<{ id: string; last_seq: number; members: string[] }>(
          `WITH locked AS MATERIALIZED (
             SELECT id, last_seq FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)
           SELECT l.id, l.last_seq, array_agg(m.user_id) AS members
             FROM locked l JOIN conversation_members m ON m.conversation_id = l.id
            GROUP BY l.id, l.last_seq`,
          [conversationIds],
        );
        for (const c of convs) members.set(c.id, c.members);
        const lastSeq = new Map(convs.map((c) => [c.id, c.last_seq]));
        // 3. Seqs in submission order, per conversation; non-members are refused.
        const accepted: (Item & { seq: number })[] = [];
        for (const item of firsts) {
          const { conversationId, senderId } = item.input;
          const last = lastSeq.get(conversationId);
          if (last === undefined || !members.get(conversationId)!.includes(senderId)) {
            refused.add(item);
            continue;
          }
          lastSeq.set(conversationId, last + 1);
          accepted.push({ ...item, seq: last + 1 });
          reserved.push(ctx.publishOrder.reserve(conversationId));
        }
        if (accepted.length === 0) return { rows: [], members, refused };
        // 4. In one statement: the conversations' new last seq, the senders' watermarks (they
        //    have received and read their own messages), and the messages.
        const bumped = [...new Set(accepted.map((a) => a.input.conversationId))];
        const watermark = new Map<string, [string, string, number]>();
        for (const a of accepted) {
          watermark.set(key(a.input.conversationId, a.input.senderId), [
            a.input.conversationId,
            a.input.senderId,
            a.seq,
          ]);
        }
        const marks = [...watermark.values()];
        const col = <T>(f: (a: (typeof accepted)[number]) => T) => accepted.map(f);
        const inserted = await tx.query<MessageRow>(
          `WITH bump AS (
             UPDATE conversations c SET last_seq = v.last_seq, last_message_at = now()
               FROM unnest($7::uuid[], $8::int[]) AS v(id, last_seq) WHERE c.id = v.id),
           marks AS (
             UPDATE conversation_members m
                SET last_delivered_seq = GREATEST(m.last_delivered_seq, v.seq),
                    last_read_seq = GREATEST(m.last_read_seq, v.seq)
               FROM unnest($9::uuid[], $10::uuid[], $11::int[]) AS v(conversation_id, user_id, seq)
              WHERE m.conversation_id = v.conversation_id AND m.user_id = v.user_id),
           m AS (
             INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, reply_to, attachment_id)
             SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                                  $12::uuid[], $13::uuid[])
             ON CONFLICT (sender_id, client_id) DO NOTHING
             RETURNING *)
           SELECT ${MESSAGE_FIELDS} FROM m ${MESSAGE_JOINS}`,
          [
            col((a) => a.input.conversationId),
            col((a) => a.seq),
            col((a) => a.input.senderId),
            col((a) => a.input.clientId),
            col((a) => a.input.messageType),
            col((a) => a.input.content),
            bumped,
            bumped.map((id) => lastSeq.get(id)!),
            marks.map((m) => m[0]),
            marks.map((m) => m[1]),
            marks.map((m) => m[2]),
            col((a) => a.input.replyTo ?? null),
            col((a) => a.input.attachmentId ?? null),
          ],
        );
        // A skipped row would leave a hole in the seqs: roll back and run the batch again.
        if (inserted.rowCount !== accepted.length) throw new Raced();
        return { rows: inserted.rows, members, refused };
      });
    } catch (err) {
      // Rolled back: the places in the publish order are given up.
      for (const r of reserved) ctx.publishOrder.release(r);
      throw err;
    }

    ctx.metrics.messagesStored.inc(outcome.rows.length);
    // Committed. Publish in seq order (reservations were taken in this order) and answer.
    const byKey = new Map(outcome.rows.map((r) => [key(r.sender_id, r.client_id!), r]));
    let next = 0;
    for (const item of firsts) {
      const followers = fresh.get(key(item.input.senderId, item.input.clientId))!;
      if (outcome.refused.has(item)) {
        for (const f of followers) f.reject(conversationNotFound());
        continue;
      }
      const row = byKey.get(key(item.input.senderId, item.input.clientId))!;
      const message = presentMessage(row);
      const members = outcome.members.get(row.conversation_id)!;
      ctx.publishOrder.release(reserved[next++]!, () =>
        ctx.bus.publishToUsers(members, { type: 'new_message', payload: message }),
      );
      followers[0]!.resolve({ message, created: true });
      for (const f of followers.slice(1)) f.resolve({ message, created: false });
    }
    for (const [item, row] of repeats) this.answerRepeat(item, row);
  }

  /** A retry is answered with the stored message, but only while the sender is still a member. */
  private answerRepeat(item: Item, row: MessageRow) {
    if (row.conversation_id !== item.input.conversationId) {
      return item.reject(
        new AppError('conflict', 'This client_id was already used for a message in another conversation'),
      );
    }
    this.ctx.db
      .query('SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [
        row.conversation_id,
        item.input.senderId,
      ])
      .then(
        (r) =>
          r.rowCount > 0
            ? item.resolve({ message: presentMessage(row), created: false })
            : item.reject(conversationNotFound()),
        item.reject,
      );
  }
}
