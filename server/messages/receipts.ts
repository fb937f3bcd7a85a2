import type { Ctx } from '../context.js';
import type { Receipt } from '../../protocol/messages.js';
import { conversationNotFound } from '../conversations/access.js';
import { isDeadlock } from '../db/client.js';

export type Watermark = 'read' | 'delivered';

interface Item {
  userId: string;
  conversationId: string;
  seq: number;
  kind: Watermark;
  resolve: (r: Receipt) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 1000;
/** Runs of a batch after deadlocks, and the wait before each (times the attempt, jittered). */
const DEADLOCK_RETRIES = 4;
const DEADLOCK_BACKOFF_MS = 25;

/**
 * Every watermark of the batch in one statement. $1 conversations, $2 users (one entry per
 * pair), $3 the delivery and $4 the read watermark asked for (0: none). Rows: `moved` (the
 * watermarks after the update, for the pairs that moved), `now` (where every pair's watermarks
 * are, as far as this statement's snapshot knows), `members` (of each conversation with a
 * moved pair, for the fan-out). Each part is a lookup by primary key per row, so the cost
 * grows linearly with the batch (no join of two CTEs: see the send statement's).
 */
const RECEIPTS_SQL = `WITH input AS MATERIALIZED (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[]) AS i(conversation_id, user_id, delivered, read)),
   -- Where the watermarks go: never back, never past the last message; reading implies delivery.
   -- The conversations are locked first, in id order, in a mode a send batch's lock conflicts
   -- with: a send batch also moves members' rows (its senders'), and without this a batch of
   -- each could hold a member's row the other waits for (a deadlock). The rows then move in
   -- the same order, so two receipt batches (two nodes) never wait on each other in a cycle.
   target AS MATERIALIZED (
     SELECT cm.conversation_id, cm.user_id, cm.last_delivered_seq, cm.last_read_seq,
            GREATEST(cm.last_delivered_seq, LEAST(GREATEST(i.delivered, i.read), c.last_seq)) AS delivered_seq,
            GREATEST(cm.last_read_seq, LEAST(i.read, c.last_seq)) AS read_seq
       FROM input i
       JOIN conversation_members cm ON cm.conversation_id = i.conversation_id AND cm.user_id = i.user_id
       JOIN conversations c ON c.id = i.conversation_id
      ORDER BY cm.conversation_id, cm.user_id FOR KEY SHARE OF c),
   -- Only the rows that move are written. GREATEST against the row as it is now: a watermark a
   -- concurrent statement moved further stays where it is.
   moved AS (
     UPDATE conversation_members cm
        SET last_delivered_seq = GREATEST(cm.last_delivered_seq, t.delivered_seq),
            last_read_seq = GREATEST(cm.last_read_seq, t.read_seq)
       FROM target t
      WHERE cm.conversation_id = t.conversation_id AND cm.user_id = t.user_id
        AND (t.delivered_seq, t.read_seq) IS DISTINCT FROM (t.last_delivered_seq, t.last_read_seq)
      RETURNING cm.conversation_id, cm.user_id, cm.last_delivered_seq, cm.last_read_seq)
   SELECT 'moved' AS part, conversation_id, user_id, last_delivered_seq AS delivered_seq, last_read_seq AS read_seq,
          NULL::uuid[] AS members
     FROM moved
   UNION ALL
   SELECT 'now', conversation_id, user_id, delivered_seq, read_seq, NULL FROM target
   UNION ALL
   SELECT 'members', conversation_id, NULL, NULL, NULL, array_agg(user_id) FROM conversation_members
    WHERE conversation_id IN (SELECT conversation_id FROM moved) GROUP BY conversation_id`;

interface Row {
  part: 'moved' | 'now' | 'members';
  conversation_id: string;
  user_id: string | null;
  delivered_seq: number | null;
  read_seq: number | null;
  members: string[] | null;
}

/**
 * Group commit for receipts, as SendBatcher is for sends: every device acknowledges what it
 * receives (`delivered`) and what its user reads, so receipts come about as often as messages,
 * and one transaction each would cost a commit and a round trip for the members each. A lone
 * receipt goes at once; those that arrive meanwhile go together in the next batch, one
 * statement and one commit, several of one user in one conversation merged into one update.
 * Each is answered after the commit with the watermarks as they then are, and members hear of
 * a watermark that moved through `receipt_update`.
 */
export class ReceiptBatcher {
  private queue: Item[] = [];
  private running = false;

  constructor(private readonly ctx: Ctx) {}

  /** Moves `userId`'s watermark in the conversation to `seq` (never back); rejects a non-member. */
  advance(userId: string, conversationId: string, seq: number, kind: Watermark): Promise<Receipt> {
    return new Promise((resolve, reject) => {
      this.queue.push({ userId, conversationId, seq, kind, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, MAX_BATCH);
    void this.storeRetrying(batch)
      .catch((err: unknown) => {
        for (const item of batch) item.reject(err);
      })
      .finally(() => {
        this.running = false;
        // A turn later, so that the receipts of the sockets this batch answered join the next.
        setImmediate(() => this.pump());
      });
  }

  /**
   * A deadlock (PostgreSQL ends one of the transactions in a cycle after a second) runs the
   * batch again: the lock order above rules it out with sends, but not with every transaction
   * that moves two members' rows. Not at once: the other transaction, woken by our rollback,
   * must first take the row it waited for. A retry that ran at once could lock that row again
   * before the other side's process got a core, and remake the same cycle (seen in CI on a
   * busy machine: three deadlocks in a row, and the receipts failed).
   */
  private async storeRetrying(batch: Item[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store(batch);
      } catch (err) {
        if (!isDeadlock(err) || attempt >= DEADLOCK_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, DEADLOCK_BACKOFF_MS * (attempt + 1) * (0.5 + Math.random())));
      }
    }
  }

  private async store(batch: Item[]) {
    const key = (conversationId: string, userId: string) => `${conversationId}\n${userId}`;
    // One entry per user and conversation: the furthest delivery and read asked for.
    const wanted = new Map<string, { conversationId: string; userId: string; delivered: number; read: number }>();
    for (const item of batch) {
      const k = key(item.conversationId, item.userId);
      const w = wanted.get(k) ?? { conversationId: item.conversationId, userId: item.userId, delivered: 0, read: 0 };
      if (item.kind === 'read') w.read = Math.max(w.read, item.seq);
      else w.delivered = Math.max(w.delivered, item.seq);
      wanted.set(k, w);
    }
    const pairs = [...wanted.values()];
    const { rows } = await this.ctx.db.query<Row>(
      RECEIPTS_SQL,
      [
        pairs.map((p) => p.conversationId),
        pairs.map((p) => p.userId),
        pairs.map((p) => p.delivered),
        pairs.map((p) => p.read),
      ],
      { name: 'receipts_batch' },
    );
    // Committed. Where each pair's watermarks are, the moved ones' from the update.
    const now = new Map<string, Receipt>();
    const moved: Receipt[] = [];
    const members = new Map<string, string[]>();
    for (const r of rows) {
      if (r.part === 'members') {
        members.set(r.conversation_id, r.members!);
        continue;
      }
      const receipt: Receipt = {
        conversation_id: r.conversation_id,
        user_id: r.user_id!,
        delivered_seq: r.delivered_seq!,
        read_seq: r.read_seq!,
      };
      if (r.part === 'moved') moved.push(receipt);
      if (r.part === 'moved' || !now.has(key(r.conversation_id, r.user_id!))) {
        now.set(key(r.conversation_id, r.user_id!), receipt);
      }
    }
    for (const receipt of moved) {
      this.ctx.bus.publishToUsers(members.get(receipt.conversation_id) ?? [], {
        type: 'receipt_update',
        payload: receipt,
      });
    }
    for (const item of batch) {
      const receipt = now.get(key(item.conversationId, item.userId));
      if (receipt) item.resolve(receipt);
      else item.reject(conversationNotFound());
    }
  }
}
