import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../test/helpers/db.js';
import { connectPg } from '../../server/db/client.js';
import { migrate } from '../../server/db/migrate.js';
import { SEND_BATCH_SQL } from '../../server/messages/batcher.js';
import { MESSAGE_JOINS, REFERENCE_FIELDS } from '../../server/messages/presenter.js';
import { MERGE_PENDING_SQL, SEARCH_INDEXES } from '../../server/search/words.js';
import { uuidv7 } from '../../server/ids.js';
import { benchPool, cpuSeconds, seedConversation, seedUsers } from '../lib.js';
import { SENTENCES } from './messaging.js';

/** How a database or the send statement differs from the server's (see `costs`). */
interface Variant {
  /** SQL run on the database once migrated. */
  alter?: string;
  /** The send statement's text, changed. */
  sql?: (text: string) => string | undefined;
  /** Give the statement no members_version, as if the node held no members (it reads them every batch). */
  holdNoMembers?: true;
}

/**
 * A fresh database (migrated, then `variant.alter` run on it) with `size` pairs of users, each
 * pair in a conversation, and one connection that runs the send statement as the server's batch
 * connections do but with `synchronous_commit` off (the flush is measured by `throughput`; this
 * is the statement's own CPU, read from the backend's /proc entry). Like the server, it gives
 * the statement the members_version of the members it read last (unless `holdNoMembers`).
 * `run(n, count, body)` sends `count` batches of one message in each of the first `n`
 * conversations and returns the backend's CPU seconds they took.
 */
async function sendRig(size: number, variant: Variant = {}) {
  const text = variant.sql ? variant.sql(SEND_BATCH_SQL) : SEND_BATCH_SQL;
  if (text === undefined) throw new Error('this variant of the send statement no longer applies');
  const db = await createTestDatabase();
  const app = connectPg(db.url);
  const pool = benchPool(db.url, 2);
  await migrate(app);
  await app.close();
  if (variant.alter) await pool.query(variant.alter);
  const users = await seedUsers(pool, 2 * size);
  const sends: { conversationId: string; senderId: string }[] = [];
  for (let i = 0; i < size; i++) {
    const [a, b] = [users[2 * i]!.id, users[2 * i + 1]!.id];
    sends.push({ conversationId: await seedConversation(pool, [a, b]), senderId: a });
  }
  const client = await pool.connect();
  await client.query('SET synchronous_commit = off');
  await client.query('SET plan_cache_mode = force_generic_plan'); // as on the server's batch connections
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  let nth = 0;
  const held = new Map<string, number>();
  return {
    client,
    cpu: () => cpuSeconds(pid),
    run: async (n: number, count: number, body: 'uuid' | 'text' = 'text') => {
      const cpu0 = cpuSeconds(pid);
      for (let b = 0; b < count; b++) {
        const batch = sends.slice(0, n);
        const { rows } = await client.query<{ ord: number; members_version: number; members: unknown }>({
          name: 'send_batch',
          text,
          values: [
            batch.map((s) => s.conversationId),
            batch.map((s) => s.senderId),
            batch.map(() => randomUUID()),
            batch.map(() => 'text'),
            batch.map(() => (body === 'uuid' ? `bench ${randomUUID()}` : SENTENCES[nth++ % SENTENCES.length]!)),
            batch.map(() => null),
            batch.map(() => null),
            batch.map(() => uuidv7()),
            batch.map((s) => held.get(s.conversationId) ?? null),
          ],
        });
        if (!variant.holdNoMembers) {
          for (const r of rows) if (r.members) held.set(batch[r.ord - 1]!.conversationId, r.members_version);
        }
      }
      return cpuSeconds(pid) - cpu0;
    },
    close: async () => {
      client.release();
      await pool.end();
      await db.drop();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * What the send statement costs PostgreSQL per message as batches grow: `size` sends, one in
 * each of `size` conversations, run back to back on one connection, `rounds` times per size,
 * the sizes interleaved. A cost that grows with the batch is a statement that does not scale
 * with load.
 */
export async function batch(o: { sizes: number[]; messagesPerRound: number; rounds: number }) {
  const rig = await sendRig(Math.max(...o.sizes));
  try {
    const perSize = new Map(o.sizes.map((size) => [size, { cpu: [] as number[], ms: [] as number[] }]));
    for (const size of o.sizes) await rig.run(size, Math.ceil(1000 / size)); // planned and warm
    for (let r = 0; r < o.rounds; r++) {
      for (const size of o.sizes) {
        const count = Math.ceil(o.messagesPerRound / size);
        const t0 = performance.now();
        const cpu = await rig.run(size, count);
        perSize.get(size)!.cpu.push((cpu * 1e6) / (count * size));
        perSize.get(size)!.ms.push((performance.now() - t0) / count);
      }
    }
    return {
      scenario: 'batch',
      options: o,
      by_size: o.sizes.map((size) => ({
        sends_per_batch: size,
        postgres_cpu_us_per_message: Math.round(median(perSize.get(size)!.cpu)),
        batch_ms: Number(median(perSize.get(size)!.ms).toFixed(2)),
      })),
    };
  } finally {
    await rig.close();
  }
}

/** Swaps `part` of the send statement for `by`, or gives undefined when it has no such part. */
const swap = (part: string, by: string) => (text: string) => (text.includes(part) ? text.replace(part, by) : undefined);

/**
 * The parts of the messages table and of the send statement whose cost `costs` measures: each
 * removed in a database of its own.
 */
const WITHOUT: Record<string, Variant> = {
  nothing: {},
  'nothing (a second database, for the noise)': {},
  'the created_at index': { alter: 'DROP INDEX messages_created_at' },
  'both foreign keys (conversation, sender)': {
    alter:
      'ALTER TABLE messages DROP CONSTRAINT messages_sender_id_fkey, DROP CONSTRAINT messages_conversation_id_fkey',
  },
  'the sender foreign key': { alter: 'ALTER TABLE messages DROP CONSTRAINT messages_sender_id_fkey' },
  'the conversation foreign key': { alter: 'ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey' },
  'the full-text index': { alter: `DROP INDEX ${SEARCH_INDEXES.join(', ')}` },
  'the full-text column and index': { alter: 'ALTER TABLE messages DROP COLUMN search_vector CASCADE' },
  // Decision 029: negative savings are what these parts save.
  'the members held by the node (read every batch)': { holdNoMembers: true },
  'the members_version check': {
    sql: swap(
      'CASE WHEN l.members_version = (SELECT c.members_version FROM conversations c WHERE c.id = l.conversation_id)',
      'CASE WHEN true',
    ),
  },
};

/**
 * The steps of the send statement itself, each left out in a database of its own: what each
 * costs (`npm run bench -- costs --parts statement`). Not the statement's meaning: without a
 * step the statement is wrong (no lock, no watermark, …); only its CPU is measured.
 */
const STATEMENT_STEPS: Record<string, Variant> = {
  nothing: {},
  'nothing (a second database, for the noise)': {},
  'the retry lookup': {
    sql: swap(
      `SELECT m.* FROM input i
       CROSS JOIN LATERAL (SELECT * FROM messages m
                            WHERE m.sender_id = i.sender_id AND m.client_id = i.client_id LIMIT 1) m`,
      'SELECT m.* FROM messages m WHERE false',
    ),
  },
  'the row locks (FOR UPDATE)': { sql: swap('ORDER BY c.id, t.ord FOR UPDATE OF c', 'ORDER BY c.id, t.ord') },
  'the membership check': {
    sql: swap(
      `WHERE EXISTS (SELECT 1 FROM conversation_members cm
                     WHERE cm.conversation_id = l.conversation_id AND cm.user_id = l.sender_id)`,
      '',
    ),
  },
  // Without it last_seq stays put, so the seqs come from a sequence (whose nextval is left in).
  "the conversations' update (seqs from a sequence instead)": {
    alter: 'CREATE SEQUENCE bench_seq',
    sql: (text) => {
      const without = dropCte('bump')(text);
      return without === undefined
        ? undefined
        : swap(
            '(l.last_seq + row_number() OVER (PARTITION BY l.conversation_id ORDER BY l.ord))::integer',
            "nextval('bench_seq')::integer",
          )(without);
    },
  },
  "the senders' watermarks": { sql: dropCte('marks') },
  "the answer's references (the joins for replies and attachments)": {
    sql: (text) => {
      const at = text.indexOf(`FROM fresh m ${MESSAGE_JOINS}`);
      const fields = text.lastIndexOf(REFERENCE_FIELDS, at);
      if (at < 0 || fields < 0) return undefined;
      const nulls = [...REFERENCE_FIELDS.matchAll(/ AS (\w+)/g)].map((f) => `NULL AS ${f[1]}`).join(', ');
      return (
        text.slice(0, fields) +
        nulls +
        text.slice(fields + REFERENCE_FIELDS.length, at) +
        'FROM fresh m' +
        text.slice(at + 'FROM fresh m '.length + MESSAGE_JOINS.length)
      );
    },
  },
  // Not a step left out but one added back: writing what the input holds, as the statement did
  // before session 31 (its cost is the negative of its saving).
  "(added back) the new rows' ids, conversations, senders and client_ids in the answer": {
    sql: swap(
      `NULL::uuid AS id, NULL::uuid AS conversation_id, m.seq,
          NULL::uuid AS sender_id, NULL::text AS client_id,`,
      'm.id, m.conversation_id, m.seq, m.sender_id, m.client_id,',
    ),
  },
  "the answer's second part (the stored messages of retries)": {
    sql: (text) => {
      const at = text.lastIndexOf('UNION ALL');
      return at < 0 ? undefined : text.slice(0, at);
    },
  },
  "the new rows' created_at in the answer": {
    sql: swap(
      'now() AS created_at, NULL::timestamptz AS edited_at',
      'NULL::timestamptz AS created_at, NULL::timestamptz AS edited_at',
    ),
  },
  "the answer but each new row's place and seq": {
    sql: (text) => {
      const at = text.lastIndexOf('SELECT true AS created');
      return at < 0 ? undefined : `${text.slice(0, at)}SELECT m.ord, m.seq FROM fresh m`;
    },
  },
  'the answer (the new rows and their references)': {
    sql: (text) => {
      const at = text.lastIndexOf('SELECT true AS created');
      return at < 0 ? undefined : `${text.slice(0, at)}SELECT 1 FROM fresh LIMIT 0`;
    },
  },
  // Floors, for scale: what is left is the INSERT alone (seqs from a sequence), or the statement
  // alone (its parameters bound, its input never read: LIMIT 0 stops before the first row).
  'everything but the INSERT (the input inserted as it is, seqs from a sequence)': {
    alter: 'CREATE SEQUENCE bench_seq',
    sql: afterInput(`,
   ins AS (
     INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, body, reply_to, attachment_id, created_at)
     SELECT id, conversation_id, nextval('bench_seq')::integer, sender_id, client_id, kind, body, reply_to, attachment_id,
            now() FROM input ORDER BY ord)
   SELECT 1 FROM input LIMIT 0`),
  },
  'everything (the parameters bound, nothing read or written)': { sql: afterInput('\n   SELECT 1 FROM input LIMIT 0') },
};

/** The send statement's first step alone (`WITH input AS MATERIALIZED (…)`, the sends' columns), then `rest`. */
function afterInput(rest: string) {
  return (text: string) => {
    const end = 'known, ord))';
    const at = text.indexOf(end);
    return at < 0 ? undefined : text.slice(0, at + end.length) + rest;
  };
}

/** Leaves out the data-modifying step `name AS ( … ),` of the send statement. */
function dropCte(name: string) {
  return (text: string) => {
    const at = text.indexOf(`${name} AS (`);
    if (at < 0) return undefined;
    let depth = 0;
    for (let i = text.indexOf('(', at); i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) {
        return text[i + 1] === ',' ? text.slice(0, at) + text.slice(i + 2).trimStart() : undefined;
      }
    }
    return undefined;
  };
}

/**
 * What each part of the messages table (or, with `parts: 'statement'`, each step of the send
 * statement: STATEMENT_STEPS) costs the send statement, in PostgreSQL's CPU per message: one
 * database as migrated and one without each part, batches of `size` sends run in
 * turn in each, `rounds` times. Each round ends with the full-text index's pending list merged
 * (as the server does every second, decision 021), timed apart. A part's cost is the median of
 * its rounds' differences from the same round as migrated: a round's databases run back to
 * back (each round starting at another), so a difference is less swayed by the machine's
 * swings, and by the order of the runs, than either figure.
 */
export async function costs(o: {
  size: number;
  messagesPerRound: number;
  rounds: number;
  body: 'uuid' | 'text';
  parts: 'table' | 'statement';
}) {
  const rigs: {
    without: string;
    rig: Awaited<ReturnType<typeof sendRig>>;
    hasIndex: boolean;
    statement: number[];
    merge: number[];
  }[] = [];
  const merge = async (r: (typeof rigs)[number]) => {
    if (r.hasIndex) {
      await r.rig.client.query(MERGE_PENDING_SQL, [SEARCH_INDEXES]);
    }
  };
  try {
    for (const [without, variant] of Object.entries(o.parts === 'table' ? WITHOUT : STATEMENT_STEPS)) {
      const rig = await sendRig(o.size, variant);
      const { rows } = await rig.client.query<{ has: boolean }>('SELECT to_regclass($1) IS NOT NULL AS has', [
        SEARCH_INDEXES[0],
      ]);
      rigs.push({ without, rig, hasIndex: rows[0]!.has, statement: [], merge: [] });
    }
    for (const r of rigs) {
      await r.rig.run(o.size, Math.ceil(1000 / o.size), o.body); // planned and warm
      await merge(r);
    }
    const count = Math.ceil(o.messagesPerRound / o.size);
    for (let round = 0; round < o.rounds; round++) {
      // Each round starts at another database: none always runs first, or always after the same one.
      const order = rigs.map((_, i) => rigs[(i + round) % rigs.length]!);
      for (const r of order) {
        r.statement.push(((await r.rig.run(o.size, count, o.body)) * 1e6) / (count * o.size));
        const cpu0 = r.rig.cpu();
        await merge(r);
        r.merge.push(((r.rig.cpu() - cpu0) * 1e6) / (count * o.size));
      }
    }
    const base = rigs[0]!;
    const us = (x: number) => Number(x.toFixed(1));
    return {
      scenario: 'costs',
      options: o,
      postgres_cpu_us_per_message: rigs.map((r) => ({
        without: r.without,
        statement: us(median(r.statement)),
        merge: us(median(r.merge)),
        saved: us(median(r.statement.map((s, i) => base.statement[i]! + base.merge[i]! - s - r.merge[i]!))),
      })),
    };
  } finally {
    for (const r of rigs) await r.rig.close();
  }
}
