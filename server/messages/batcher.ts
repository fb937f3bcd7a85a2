import type { Ctx } from '../context.js';
import type { Message } from '../../protocol/messages.js';
import { AppError } from '../errors.js';
import { isDeadlock, isForeignKeyViolation, isSerializationFailure, isUniqueViolation } from '../db/client.js';
import { uuidv7 } from '../ids.js';
import { conversationNotFound } from '../conversations/access.js';
import { MemberCache, type Members } from './member-cache.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, REFERENCE_FIELDS, presentMessage, type MessageRow } from './presenter.js';

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

/**
 * A row of the send statement: a message already stored (a retry's), whole; or a new one's
 * place in the batch (`ord`, from 1) with what the database decided, and for a conversation's
 * first new one its members.
 */
type Row = MessageRow & {
  created: boolean;
  ord: number | null;
  members_version: number | null;
  members: string[] | null;
};

interface Item {
  input: SendInput;
  resolve: (r: SendResult) => void;
  reject: (err: unknown) => void;
}

const key = (senderId: string, clientId: string) => `${senderId}\n${clientId}`;

const MAX_BATCH = 512;
/** Sends waiting before a second batch starts beside a running one (see SendBatcher). */
const PARALLEL_MIN = 16;

/**
 * A message just stored, whole: the columns the database decided (seq, created_at and the
 * references' previews) with the rest from the send itself and the id given to it, as the
 * INSERT wrote them (the column defaults of a new message: not edited, not deleted, no change,
 * no reactions). Fewer values in every new message's row save the server parsing and
 * PostgreSQL writing them (the ids, sender and client_id: 2–3 µs of its CPU per message).
 */
const newRow = (row: MessageRow, input: SendInput, id: string): MessageRow => ({
  ...row,
  id,
  conversation_id: input.conversationId,
  sender_id: input.senderId,
  client_id: input.clientId,
  kind: input.messageType,
  body: input.content,
  edited_at: null,
  deleted_at: null,
  change_seq: 0,
  reactions: [],
});

/**
 * The whole batch in one statement (see SendBatcher.store): the parameters are the sends'
 * columns, in submission order ($1 conversation ids, $2 senders, $3 client_ids, $4 kinds,
 * $5 bodies, $6 replies, $7 attachments, $8 new message ids, $9 the members_version of the
 * conversation's members this node holds, or null). Exported for the benchmark of its cost by
 * batch size (`npm run bench -- batch`).
 */
export const SEND_BATCH_SQL = `WITH input AS MATERIALIZED (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::uuid[],
                          $9::integer[])
       WITH ORDINALITY AS i(conversation_id, sender_id, client_id, kind, body, reply_to, attachment_id, id, known, ord)),
   -- Retries: client_ids these senders already used are answered with the stored message.
   -- (LIMIT keeps this a lookup per send by the unique index, whatever the statistics say:
   -- a young table's would make the planner scan all of it.)
   existing AS MATERIALIZED (
     SELECT m.* FROM input i
       CROSS JOIN LATERAL (SELECT * FROM messages m
                            WHERE m.sender_id = i.sender_id AND m.client_id = i.client_id LIMIT 1) m),
   todo AS MATERIALIZED (
     SELECT i.* FROM input i
      WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.sender_id = i.sender_id AND e.client_id = i.client_id)),
   -- Lock the conversations in id order (two batches never wait on each other in a cycle),
   -- each send beside its conversation's last_seq as of the lock (a concurrent batch's
   -- commit included). Joined here, by primary key: a join of two CTEs is planned as a
   -- nested loop (their row estimates are 1), which compares every send with every
   -- conversation: 45 ms of a 500-send batch's 77.
   locked AS MATERIALIZED (
     SELECT t.*, c.last_seq, c.members_version FROM todo t JOIN conversations c ON c.id = t.conversation_id
      ORDER BY c.id, t.ord FOR UPDATE OF c),
   -- The members this statement reads are those of its snapshot, which is older than the locks:
   -- a change of members committed while it waited for one (each bumps members_version, by a
   -- trigger, under that lock) fails the statement, and the batch runs again (decision 029).
   current AS MATERIALIZED (
     SELECT l.* FROM locked l
      WHERE CASE WHEN l.members_version = (SELECT c.members_version FROM conversations c WHERE c.id = l.conversation_id)
                 THEN true ELSE members_changed(l.conversation_id) END),
   -- Seqs in submission order, per conversation; non-members are refused (no row).
   fresh AS MATERIALIZED (
     SELECT l.*, (l.last_seq + row_number() OVER (PARTITION BY l.conversation_id ORDER BY l.ord))::integer AS seq
       FROM current l
      WHERE EXISTS (SELECT 1 FROM conversation_members cm
                     WHERE cm.conversation_id = l.conversation_id AND cm.user_id = l.sender_id)),
   bump AS (
     UPDATE conversations c SET last_seq = v.last_seq, last_message_at = now()
       FROM (SELECT conversation_id, max(seq) AS last_seq FROM fresh GROUP BY conversation_id) v
      WHERE c.id = v.conversation_id),
   -- The senders have received and read their own messages.
   marks AS (
     UPDATE conversation_members m
        SET last_delivered_seq = GREATEST(m.last_delivered_seq, v.seq),
            last_read_seq = GREATEST(m.last_read_seq, v.seq)
       FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM fresh GROUP BY 1, 2) v
      WHERE m.conversation_id = v.conversation_id AND m.user_id = v.sender_id),
   -- No ON CONFLICT: a client_id stored meanwhile (another node) fails the statement, which
   -- rolls back whole; the batch runs again and the retry check answers it. (Run whole though
   -- nothing reads it, as every data-modifying WITH is.)
   ins AS (
     INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, body, reply_to, attachment_id, created_at)
     SELECT id, conversation_id, seq, sender_id, client_id, kind, body, reply_to, attachment_id, now() FROM fresh ORDER BY ord)
   -- A new message, as inserted: its place in the input, what the database decided (seq, and
   -- created_at: now() is the transaction's time) and the references' previews; the rest is
   -- the input (see newRow).
   -- With a conversation's first, its members_version and, unless the node holds the members
   -- as of that version (the snapshot's, which is the lock's: see current), its members.
   -- (Read from fresh, not from the INSERT's RETURNING: a join of the two would be planned as
   -- a nested loop, every message against every other. The columns of MESSAGE_FIELDS, in its
   -- order, for the UNION; those the input holds are left NULL: writing them costs PostgreSQL
   -- 2–3 µs per message.)
   SELECT true AS created, m.ord::integer AS ord, NULL::uuid AS id, NULL::uuid AS conversation_id, m.seq,
          NULL::uuid AS sender_id, NULL::text AS client_id, NULL AS kind, NULL AS body,
          now() AS created_at, NULL::timestamptz AS edited_at, NULL::timestamptz AS deleted_at,
          NULL::integer AS change_seq, NULL::jsonb AS reactions, ${REFERENCE_FIELDS},
          m.members_version,
          CASE WHEN m.seq = m.last_seq + 1 AND m.known IS DISTINCT FROM m.members_version
               THEN (SELECT array_agg(cm.user_id) FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id)
          END AS members
     FROM fresh m ${MESSAGE_JOINS}
   UNION ALL
   SELECT false AS created, NULL, ${MESSAGE_FIELDS}, NULL, NULL AS members FROM existing m ${MESSAGE_JOINS}`;

/**
 * Group commit: sends that arrive while earlier ones are being stored are stored together, in
 * one statement (one round trip, one commit), instead of one transaction each. A lone
 * send goes at once (no added latency); under load, batches grow by themselves. Every send
 * is still acknowledged only after its batch commits, each conversation's seqs stay gapless
 * and in submission order, and a repeated client_id is answered with the stored message.
 */
export class SendBatcher {
  // One queue, and up to `maxInFlight` batches at once over disjoint conversations: a batch
  // never waits on another's row locks, and a conversation's sends are stored in the order
  // they were queued (while one of its sends is being stored, the rest stay queued). A
  // second batch starts beside a running one only once PARALLEL_MIN sends are waiting:
  // below that, starting it would save a few milliseconds of waiting but make both batches
  // smaller, and PostgreSQL's cost is mostly per batch (decision 017: at 2,000 msgs/s, two
  // batches at any time cost it 0.93 cores against 0.65).
  private queue: Item[] = [];
  private readonly inFlight = new Set<Set<string>>();
  private readonly members = new MemberCache();

  constructor(
    private readonly ctx: Ctx,
    private readonly maxInFlight = 2,
  ) {}

  /**
   * Runs the batch statement, for no sends, on as many connections as batches may use at once:
   * each prepares and plans it now (about 30 ms on a new connection) rather than during the
   * first sends after a start.
   */
  async warm(): Promise<void> {
    await Promise.all(Array.from({ length: this.maxInFlight }, () => this.store([])));
  }

  send(input: SendInput): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) {
      if (this.inFlight.size > 0 && this.queue.length < PARALLEL_MIN) return;
      const busy = new Set<string>();
      for (const conversations of this.inFlight) for (const c of conversations) busy.add(c);
      const batch: Item[] = [];
      const rest: Item[] = [];
      // A client_id this batch already holds for another conversation waits for a later batch,
      // which answers it as a retry (409), or stores it if the first was refused; its
      // conversation waits with it, so that its later sends stay behind it.
      const conversationOf = new Map<string, string>();
      for (const item of this.queue) {
        const { senderId, clientId, conversationId } = item.input;
        let free = batch.length < MAX_BATCH && !busy.has(conversationId);
        if (free) {
          const k = key(senderId, clientId);
          const first = conversationOf.get(k);
          if (first === undefined) conversationOf.set(k, conversationId);
          else if (first !== conversationId) {
            busy.add(conversationId);
            free = false;
          }
        }
        (free ? batch : rest).push(item);
      }
      if (batch.length === 0) return;
      this.queue = rest;
      const conversations = new Set(batch.map((i) => i.input.conversationId));
      this.inFlight.add(conversations);
      // The next batch starts a turn of the event loop later, so that the sends answered by
      // this one (whose sockets then hand over their next frame) join it.
      void this.run(batch).finally(() =>
        setImmediate(() => {
          this.inFlight.delete(conversations);
          this.pump();
        }),
      );
    }
  }

  private async run(batch: Item[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store(batch);
      } catch (err) {
        // A client_id stored by another node since our statement's snapshot: run the batch
        // again, and the retry check answers it.
        if (isUniqueViolation(err, 'messages_sender_client_id_key') && attempt < 3) continue;
        // A change of members committed while the statement waited for a conversation's lock:
        // run it again, with a snapshot that shows the change.
        if (isSerializationFailure(err) && attempt < 3) continue;
        // Chosen to end a deadlock (with a writer outside the lock order, such as SQL run by
        // hand): rolled back whole, so it can run again.
        if (isDeadlock(err) && attempt < 3) continue;
        // An upload deleted since its send was checked (its message deleted for everyone, or
        // housekeeping): only the sends attaching it fail, the rest run again.
        if (isForeignKeyViolation(err, 'messages_attachment_id_fkey') && attempt < 3) {
          batch = await this.withoutVanishedUploads(batch).catch(() => batch);
          if (batch.length === 0) return;
          continue;
        }
        // Still losing to other writers after its reruns: nothing was stored, and sending again
        // is safe (the client_id), so the sends fail as a passing condition, not a server fault.
        const busy = isSerializationFailure(err) || isDeadlock(err);
        if (busy) this.ctx.log.warn({ err, sends: batch.length }, 'send batch gave up after its reruns');
        const answer = busy
          ? new AppError('unavailable', 'The conversation was busy and the message was not sent: send it again')
          : err;
        // Anything else fails every send of the batch.
        for (const item of batch) item.reject(answer);
        return;
      }
    }
  }

  /** Rejects the sends whose upload is gone; returns the others. */
  private async withoutVanishedUploads(batch: Item[]): Promise<Item[]> {
    const ids = [...new Set(batch.flatMap((i) => (i.input.attachmentId ? [i.input.attachmentId] : [])))];
    const { rows } = await this.ctx.db.query<{ id: string }>('SELECT id FROM uploads WHERE id = ANY($1::uuid[])', [
      ids,
    ]);
    const present = new Set(rows.map((r) => r.id));
    return batch.filter((item) => {
      if (!item.input.attachmentId || present.has(item.input.attachmentId)) return true;
      item.reject(new AppError('validation_failed', 'This attachment is no longer available: upload it again'));
      return false;
    });
  }

  /**
   * The whole batch in one statement, run on its own (an implicit transaction, committed
   * before the result arrives): the retry check, the conversations' row locks (in id order),
   * the membership check, seqs in submission order, the watermarks and the messages. One
   * round trip and one commit per batch.
   */
  private async store(batch: Item[]) {
    const { ctx } = this;
    // The first of several sends with one client_id in this batch is stored; the rest (to the
    // same conversation: see pump) follow it.
    const fresh = new Map<string, Item[]>();
    for (const item of batch) {
      const k = key(item.input.senderId, item.input.clientId);
      fresh.set(k, [...(fresh.get(k) ?? []), item]);
    }
    const firsts = [...fresh.values()].map((items) => items[0]!);
    // Places in the publish order, in submission order; those not stored are given up below.
    const reserved = firsts.map((i) => ctx.publishOrder.reserve(i.input.conversationId));
    const col = <T>(f: (i: Item) => T) => firsts.map(f);
    // The members held for these conversations now (an entry may be let go of meanwhile).
    const known = new Map<string, Members | undefined>();
    for (const i of firsts) known.set(i.input.conversationId, this.members.get(i.input.conversationId));
    // Time-ordered ids: each batch appends to the end of the primary key (see uuidv7).
    const ids = firsts.map(() => uuidv7());
    let rows: Row[];
    try {
      ({ rows } = await ctx.db.query<Row>(
        SEND_BATCH_SQL,
        [
          col((i) => i.input.conversationId),
          col((i) => i.input.senderId),
          col((i) => i.input.clientId),
          col((i) => i.input.messageType),
          col((i) => i.input.content),
          col((i) => i.input.replyTo ?? null),
          col((i) => i.input.attachmentId ?? null),
          ids,
          col((i) => known.get(i.input.conversationId)?.version ?? null),
        ],
        { name: 'send_batch', batch: true },
      ));
    } catch (err) {
      // Rolled back: the places in the publish order are given up.
      for (const r of reserved) ctx.publishOrder.release(r);
      throw err;
    }

    // Committed. Publish in seq order (reservations were taken in submission order) and answer.
    // New messages by their place in firsts, stored ones by sender and client_id.
    const created: (Row | undefined)[] = [];
    let createdCount = 0;
    const stored = new Map<string, MessageRow>();
    // Members the statement read (it did not for those held as of the current version).
    const read = new Map<string, readonly string[]>();
    for (const r of rows) {
      if (!r.created) {
        stored.set(key(r.sender_id, r.client_id!), r);
        continue;
      }
      created[r.ord! - 1] = r;
      createdCount++;
      if (r.members) {
        const conversationId = firsts[r.ord! - 1]!.input.conversationId;
        read.set(conversationId, r.members);
        this.members.set(conversationId, { version: r.members_version!, ids: r.members });
      }
    }
    ctx.metrics.messagesStored.inc(createdCount);
    firsts.forEach((item, n) => {
      const k = key(item.input.senderId, item.input.clientId);
      const followers = fresh.get(k)!;
      const row = created[n];
      if (!row) {
        ctx.publishOrder.release(reserved[n]!);
        const old = stored.get(k);
        if (old) for (const f of followers) this.answerRepeat(f, old);
        else for (const f of followers) f.reject(conversationNotFound());
        return;
      }
      const message = presentMessage(newRow(row, item.input, ids[n]!));
      const conversationId = item.input.conversationId;
      const to = read.get(conversationId) ?? known.get(conversationId)?.ids;
      // (Never: the statement reads the members unless the version given was current.)
      if (!to) ctx.log.error({ conversation: conversationId }, 'send: no members to deliver to');
      ctx.publishOrder.release(reserved[n]!, () =>
        ctx.bus.publishToUsers(to ?? [], { type: 'new_message', payload: message }),
      );
      followers[0]!.resolve({ message, created: true });
      for (const f of followers.slice(1)) f.resolve({ message, created: false });
    });
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
