import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import {
  abRounds,
  benchServer,
  cpuSeconds,
  openSocket,
  percentiles,
  postgresCpuSeconds,
  seedUsers,
  type SeededUser,
} from '../lib.js';
import { WS_LIMITS } from '../../protocol/frames.js';

/**
 * Everyone comes back at once, as after a restart or a network outage: `users` users, each in
 * `conversations` direct conversations in which it missed `missed` messages, connect together
 * (`concurrency` of them connecting and catching up at a time) and each sends one `sync` for
 * all of its conversations, as the web client does on connect. Per client: connect → ready
 * and sync → sync_result (ms); for the whole catch-up: its seconds, messages caught up per
 * second, and the server's and PostgreSQL's CPU per client. Every sync_result is checked
 * (every missed message, in order, nothing more to page).
 *
 * With `compare` (another build's server entry) both builds catch the same users up on the
 * one seeded database in turn, rounds ordered other, this, this, other (`cycles` times), each
 * a fresh process after a left-out warm-up round of each, as `history` does.
 */
export async function reconnect(o: {
  users: number;
  conversations: number;
  missed: number;
  concurrency: number;
  compare?: string;
  cycles: number;
}) {
  if (o.conversations % 2 !== 0 || o.conversations >= o.users) {
    throw new Error('--conversations is even and less than --users');
  }
  if (o.missed < 1 || o.missed > WS_LIMITS.syncPageSize) {
    throw new Error(`--missed is 1 to ${WS_LIMITS.syncPageSize} (one sync's page; the rest would page over REST)`);
  }
  const srv = await benchServer();
  try {
    const users = await seedUsers(srv.pool, o.users);
    // User i talks with users i ± 1 … i ± conversations/2 (around a ring): `conversations` each.
    const pairs: [number, number][] = [];
    for (let d = 1; d <= o.conversations / 2; d++) for (let i = 0; i < o.users; i++) pairs.push([i, (i + d) % o.users]);
    const ids = pairs.map(() => randomUUID());
    const t0 = performance.now();
    await srv.pool.query(
      `INSERT INTO conversations (id, kind, direct_key, last_seq, last_message_at)
       SELECT id, 'direct', id::text, $2, now() FROM unnest($1::uuid[]) AS id`,
      [ids, KNOWN + o.missed],
    );
    const a = pairs.map(([i]) => users[i]!.id);
    const b = pairs.map(([, j]) => users[j]!.id);
    await srv.pool.query(
      `INSERT INTO conversation_members (conversation_id, user_id, role)
       SELECT c, u, r FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(c, ua, ub),
              LATERAL (VALUES (ua, 'owner'), (ub, 'member')) AS m(u, r)`,
      [ids, a, b],
    );
    // Everyday sentences, the two members taking turns, a second apart.
    await srv.pool.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
       SELECT c, g, CASE WHEN g % 2 = 0 THEN ua ELSE ub END, c::text || ':' || g,
              (ARRAY['Are we still on for lunch tomorrow?', 'The build is green again, shipping tonight',
                     'Can you send me the notes from the meeting?', 'Running ten minutes late, sorry!',
                     'Sounds good to me', 'Did you see the new release? It is much faster'])[1 + g % 6],
              now() - make_interval(secs => $4 - g)
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(c, ua, ub), generate_series(1, $4::int) AS g`,
      [ids, a, b, KNOWN + o.missed],
    );
    // While the clients were away, EDITED of the messages they had seen were edited: each
    // sync also brings those changes (the client sends its change cursor, 0).
    await srv.pool.query(
      `WITH edited AS (
         UPDATE messages m SET body = m.body || ' (edited)', edited_at = now(), change_seq = e.k
           FROM unnest($2::int[]) WITH ORDINALITY AS e(seq, k)
          WHERE m.conversation_id = ANY($1::uuid[]) AND m.seq = e.seq
          RETURNING m.conversation_id)
       UPDATE conversations SET last_change_seq = $3 WHERE id = ANY($1::uuid[])`,
      [ids, EDITED, EDITED.length],
    );
    await srv.pool.query('VACUUM ANALYZE');
    await srv.pool.query('CHECKPOINT');
    const seedSeconds = (performance.now() - t0) / 1000;
    // The server's words index (decision 020) reads the new messages once: let it, before measuring.
    for (;;) {
      const { rows } = await srv.pool.query<{ done: boolean }>(
        'SELECT through > (SELECT max(created_at) FROM messages) AS done FROM search_words_state',
      );
      if (rows[0]?.done) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const mine = users.map(() => [] as string[]);
    pairs.forEach(([i, j], k) => {
      mine[i]!.push(ids[k]!);
      mine[j]!.push(ids[k]!);
    });

    /** Every user connects and catches up against the server at `url`. */
    const measure = async (url: string, pid: number): Promise<Measured> => {
      const m: Measured = { connect: [], sync: [], seconds: 0, cpu: { server: 0, postgres: 0, driver: 0 } };
      const sockets: WebSocket[] = [];
      const cpu0 = { server: cpuSeconds(pid), postgres: postgresCpuSeconds(), driver: process.cpuUsage() };
      const started = performance.now();
      let next = 0;
      const client = async () => {
        for (let i = next++; i < o.users; i = next++) {
          const t = performance.now();
          const ws = await openSocket(url, users[i]!.token);
          sockets.push(ws);
          m.connect.push(performance.now() - t);
          m.sync.push(await catchUp(ws, users[i]!, mine[i]!, o.missed));
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(o.concurrency, o.users) }, client));
        m.seconds = (performance.now() - started) / 1000;
        const driver = process.cpuUsage(cpu0.driver);
        m.cpu = {
          server: cpuSeconds(pid) - cpu0.server,
          postgres: postgresCpuSeconds() - cpu0.postgres,
          driver: (driver.user + driver.system) / 1e6,
        };
      } finally {
        for (const ws of sockets) ws.terminate();
      }
      return m;
    };

    const header = () => ({
      scenario: 'reconnect',
      options: o,
      seed_seconds: Math.round(seedSeconds * 10) / 10,
      messages_per_client: o.conversations * o.missed,
    });
    if (!o.compare) return { ...header(), ...summary([await measure(srv.url, srv.node.pid!)], o) };
    await srv.node.kill('SIGKILL');
    const { order, rounds, of } = await abRounds(srv.db.url, o.compare, o.cycles, measure);
    return {
      ...header(),
      ...summary(of('this'), o),
      compare: { other: o.compare, order },
      other: summary(of('other'), o),
      rounds: rounds.map((r) => ({ build: r.build, warmup: r.warmup, ...summary([r.m], o) })),
    };
  } finally {
    await srv.close();
  }
}

/** The messages each client has seen of each conversation (it missed the rest). */
const KNOWN = 10;
/** The seen messages (seqs) edited while the clients were away, in the order edited. */
const EDITED = [7, 2];

/** One sync for all of `conversationIds`; resolves with its round trip (ms) once its result checks out. */
function catchUp(ws: WebSocket, user: SeededUser, conversationIds: string[], missed: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const onMessage = (data: WebSocket.RawData) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"sync_result"') && !text.startsWith('{"type":"error"')) return;
      ws.off('message', onMessage);
      const ms = performance.now() - t;
      const frame = JSON.parse(text) as {
        type: string;
        payload: {
          conversations: {
            conversation_id: string;
            messages: { seq: number }[];
            has_more: boolean;
            changes: { seq: number; edited_at: string | null }[];
            changes_has_more: boolean;
          }[];
        };
      };
      if (frame.type !== 'sync_result') return reject(new Error(`${user.id}: ${text.slice(0, 200)}`));
      const got = frame.payload.conversations;
      const ok =
        got.length === conversationIds.length &&
        got.every(
          (c) =>
            !c.has_more &&
            c.messages.length === missed &&
            c.messages.every((m, k) => m.seq === KNOWN + 1 + k) &&
            !c.changes_has_more &&
            c.changes.length === EDITED.length &&
            c.changes.every((m, k) => m.seq === EDITED[k] && m.edited_at !== null) &&
            conversationIds.includes(c.conversation_id),
        ) &&
        new Set(got.map((c) => c.conversation_id)).size === got.length;
      if (!ok) return reject(new Error(`${user.id}: a sync_result without every missed message and change`));
      resolve(ms);
    };
    ws.on('message', onMessage);
    ws.send(
      JSON.stringify({
        type: 'sync',
        id: 1,
        payload: {
          conversations: conversationIds.map((id) => ({ conversation_id: id, after_seq: KNOWN, after_change_seq: 0 })),
        },
      }),
    );
  });
}

/** One round's raw figures. */
interface Measured {
  connect: number[];
  sync: number[];
  seconds: number;
  /** CPU seconds over the round. */
  cpu: { server: number; postgres: number; driver: number };
}

/** Percentiles and rates of one or more rounds together (CPU and seconds: medians of the rounds, the mean of the middle two for an even number). */
function summary(rounds: Measured[], o: { users: number; conversations: number; missed: number }) {
  const median = (v: number[]) => {
    const sorted = [...v].sort((x, y) => x - y);
    return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
  };
  const seconds = median(rounds.map((r) => r.seconds));
  const perClient = (k: keyof Measured['cpu']) => Math.round((median(rounds.map((r) => r.cpu[k])) / o.users) * 1e6);
  return {
    catch_up_seconds: Math.round(seconds * 100) / 100,
    clients_per_second: Math.round(o.users / seconds),
    messages_per_second: Math.round((o.users * o.conversations * o.missed) / seconds),
    connect_ms: percentiles(rounds.flatMap((r) => r.connect)),
    sync_ms: percentiles(rounds.flatMap((r) => r.sync)),
    cpu_us_per_client: { server: perClient('server'), postgres: perClient('postgres'), driver: perClient('driver') },
  };
}
