import type WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { rawSocket } from '../../server/realtime/connection.js';
import { SEARCH_INDEXES } from '../../server/search/words.js';
import {
  benchServer,
  cpuBreakdown,
  openSocket,
  percentiles,
  postgresWaits,
  seedConversation,
  seedUsers,
  sleep,
  walPosition,
} from '../lib.js';

export interface MessagingOptions {
  /** pairs: P sender/receiver pairs; room: one group of `members`, `senders` of them sending. */
  shape: 'pairs' | 'room';
  pairs: number;
  members: number;
  senders: number;
  /** Messages per second per sender; 0 = as fast as acks allow (a window of `window` in flight). */
  rate: number;
  window: number;
  /**
   * Seconds of sending before the measured `seconds` (a cold server's first second, its code
   * not yet compiled and its caches empty, is reported apart as `warmup`).
   */
  warmup: number;
  seconds: number;
  /**
   * What a message says. `uuid` (the default): "bench <a new UUID>", new words in every message,
   * the worst case for the full-text index and the words index. `text`: a sentence from a
   * dozen everyday ones, whose words both indexes already hold after the first few messages.
   */
  body: 'uuid' | 'text';
  /**
   * Receivers answer every message with `delivered` (what the web client does when a
   * conversation's messages arrive more than 250 ms apart, as most do).
   */
  receipts: boolean;
  /** Sample what PostgreSQL's busy backends wait on during the measured seconds (postgresWaits). */
  waits: boolean;
}

export const SENTENCES = [
  'see you at the meeting tomorrow',
  'can you send me the report',
  'lunch at noon?',
  'the build is green again',
  'thanks, that works for me',
  'running a few minutes late',
  'did you see the new design',
  "let's ship it on friday",
  'coffee later?',
  'I will call you after the review',
  'sounds good',
  'where are the slides from yesterday',
];

// The driver shares the machine with the server: it reads only the fields it needs (a frame's
// type and client_id; for receipts, conversation_id and seq) from the bytes, never parsing
// the JSON (the receiving side is most of its work in a big room).
const NEW_MESSAGE = Buffer.from('{"type":"new_message"');
const ACK = Buffer.from('{"type":"message_ack"');
const ERROR = Buffer.from('{"type":"error"');
const CLIENT_ID = Buffer.from('"client_id":"');
const startsWith = (data: Buffer, prefix: Buffer) =>
  data.compare(prefix, 0, prefix.length, 0, Math.min(prefix.length, data.length)) === 0;
const CONVERSATION_ID = Buffer.from('"conversation_id":"');
const SEQ = Buffer.from('"seq":');
/** The text after the frame's first `marker`, up to the byte `end`. */
const fieldOf = (data: Buffer, marker: Buffer, end: number) => {
  const at = data.indexOf(marker) + marker.length;
  return data.toString('latin1', at, data.indexOf(end, at));
};
const QUOTE = 34;
const COMMA = 44;
const conversationIdOf = (data: Buffer) => fieldOf(data, CONVERSATION_ID, QUOTE);
const seqOf = (data: Buffer) => Number(fieldOf(data, SEQ, COMMA));
const clientIdOf = (data: Buffer) => fieldOf(data, CLIENT_ID, QUOTE);

/**
 * The sends a socket makes in one turn of the event loop leave in one write, as the server's
 * do (server/realtime/connection.ts): a sender whose acks arrive together sends its next
 * messages together, instead of paying a system call (and the server a read) for each.
 */
const corkUntilTickEnds = (ws: WebSocket) => {
  const socket = rawSocket(ws);
  if (!socket || socket.writableCorked > 0) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
};

/**
 * Senders send over real sockets to a real server (persisted, ack after commit); receivers
 * measure send -> ack and send -> receive latency in the same clock. Lost = sent, never acked;
 * duplicated = delivered twice to one receiver.
 */
export async function messaging(o: MessagingOptions) {
  const srv = await benchServer();
  try {
    // A measurement aid only (the product keeps search): BENCH_DROP_SEARCH_INDEX=1 measures
    // what the full-text GIN index costs the send path.
    if (process.env.BENCH_DROP_SEARCH_INDEX) await srv.pool.query(`DROP INDEX ${SEARCH_INDEXES.join(', ')}`);
    const senders: { ws: WebSocket; conversationId: string; inFlight: number }[] = [];
    const receivers: WebSocket[] = [];
    if (o.shape === 'pairs') {
      const users = await seedUsers(srv.pool, o.pairs * 2);
      for (let i = 0; i < o.pairs; i++) {
        const [a, b] = [users[2 * i]!, users[2 * i + 1]!];
        const conversationId = await seedConversation(srv.pool, [a.id, b.id]);
        senders.push({ ws: await openSocket(srv.url, a.token), conversationId, inFlight: 0 });
        receivers.push(await openSocket(srv.url, b.token));
      }
    } else {
      const users = await seedUsers(srv.pool, o.members);
      const conversationId = await seedConversation(
        srv.pool,
        users.map((u) => u.id),
        'group',
      );
      for (const [i, u] of users.entries()) {
        const ws = await openSocket(srv.url, u.token);
        if (i < o.senders) senders.push({ ws, conversationId, inFlight: 0 });
        else receivers.push(ws);
      }
    }

    const sentAt = new Map<string, number>();
    // Latencies of the sends of the measured seconds; those of the warm-up go apart.
    let measureFrom = Infinity;
    const ackMs: number[] = [];
    const recvMs: number[] = [];
    const warmAckMs: number[] = [];
    const warmRecvMs: number[] = [];
    // The worst receive of each second of the run (by send time): stalls show as a spike, a
    // slow machine as a raised floor.
    const worstBySecond: number[] = [];
    let acked = 0;
    let delivered = 0;
    let duplicated = 0;
    let errors = 0;
    let receiptErrors = 0;
    for (const r of receivers) {
      const seen = new Set<string>();
      r.on('message', (data: Buffer) => {
        if (o.receipts && startsWith(data, ERROR)) receiptErrors++;
        if (!startsWith(data, NEW_MESSAGE)) return;
        if (o.receipts) {
          corkUntilTickEnds(r);
          r.send(`{"type":"delivered","payload":{"conversation_id":"${conversationIdOf(data)}","seq":${seqOf(data)}}}`);
        }
        const clientId = clientIdOf(data);
        const t = sentAt.get(clientId);
        if (t === undefined) return;
        if (seen.has(clientId)) duplicated++;
        else seen.add(clientId);
        delivered++;
        const ms = performance.now() - t;
        (t >= measureFrom ? recvMs : warmRecvMs).push(ms);
        const second = Math.floor((t - started) / 1000);
        worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, Math.round(ms));
      });
    }
    let sending = true;
    let nth = 0;
    const sendOne = (s: (typeof senders)[number]) => {
      const clientId = randomUUID();
      const content = o.body === 'text' ? SENTENCES[nth++ % SENTENCES.length]! : `bench ${clientId}`;
      sentAt.set(clientId, performance.now());
      s.inFlight++;
      corkUntilTickEnds(s.ws);
      s.ws.send(
        JSON.stringify({
          type: 'chat_message',
          payload: { conversation_id: s.conversationId, content, client_id: clientId },
        }),
      );
    };
    // A sender also gets its own message's new_message (every device of the sender): skipped.
    for (const s of senders) {
      s.ws.on('message', (data: Buffer) => {
        if (startsWith(data, ACK)) {
          const t = sentAt.get(clientIdOf(data))!;
          (t >= measureFrom ? ackMs : warmAckMs).push(performance.now() - t);
          acked++;
          s.inFlight--;
          if (o.rate === 0 && sending) sendOne(s);
        } else if (startsWith(data, ERROR)) {
          errors++;
          s.inFlight--;
        }
      });
    }

    const commits = () =>
      srv.pool
        .query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')
        .then((r) => Number(r.rows[0]!.n));
    // Commits over the whole run, warm-up included (the statistics lag up to a second behind).
    const commits0 = await commits();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    if (o.rate === 0) {
      for (const s of senders) for (let i = 0; i < o.window; i++) sendOne(s);
    } else {
      // Open loop, whatever the server's pace: each sender sends every 1/rate seconds, the
      // senders spread evenly over that interval (a steady stream, not bursts of one per sender).
      const interval = 1000 / o.rate;
      const next = senders.map((_, i) => started + (i / senders.length) * interval);
      timer = setInterval(() => {
        const now = performance.now();
        senders.forEach((s, i) => {
          while (next[i]! <= now) {
            sendOne(s);
            next[i]! += interval;
          }
        });
      }, 1);
    }
    await sleep(o.warmup * 1000);
    measureFrom = performance.now();
    const at0 = { acked, delivered };
    const cpu = cpuBreakdown(srv.node.pid!);
    const wal0 = await walPosition(srv.pool);
    const waits = o.waits ? postgresWaits(srv.db.url) : null;
    await sleep(o.seconds * 1000);
    const walWritten = (await walPosition(srv.pool)) - wal0;
    sending = false;
    clearInterval(timer);
    const elapsed = (performance.now() - measureFrom) / 1000;
    const serverCpu = cpu();
    const postgresBusy = await waits?.();
    const ackedInRun = acked - at0.acked;
    const deliveredInRun = delivered - at0.delivered;
    const sent = sentAt.size;
    // Let the tail drain.
    const expectedDeliveries = () => acked * (o.shape === 'pairs' ? 1 : receivers.length);
    for (let i = 0; i < 100 && (acked + errors < sent || delivered < expectedDeliveries()); i++) await sleep(50);

    for (const ws of [...senders.map((s) => s.ws), ...receivers]) ws.terminate();
    await sleep(1100); // PostgreSQL flushes its statistics at most once a second
    const commitCount = (await commits()) - commits0;
    const deliveriesPerSecond = Math.round(deliveredInRun / elapsed);
    return {
      scenario: o.shape,
      options: o,
      seconds: Math.round(elapsed * 10) / 10,
      sent,
      acked,
      errors,
      lost: sent - acked - errors,
      ...(o.receipts ? { receipt_errors: receiptErrors } : {}),
      delivered,
      duplicated,
      acked_per_second: Math.round(ackedInRun / elapsed),
      deliveries_per_second: deliveriesPerSecond,
      ack_ms: percentiles(ackMs),
      receive_ms: percentiles(recvMs),
      // Each second's worst receive, warm-up included (the first `warmup` entries).
      receive_worst_ms_by_second: Array.from(worstBySecond, (v) => v ?? 0),
      warmup: { seconds: o.warmup, ack_ms: percentiles(warmAckMs), receive_ms: percentiles(warmRecvMs) },
      cpu_cores: serverCpu,
      // CPU per acked message (µs): steadier than msgs/s on a machine shared with other work.
      cpu_us_per_message: Object.fromEntries(
        Object.entries(serverCpu).map(([k, cores]) => [
          k,
          Math.round((cores * elapsed * 1e6) / Math.max(1, ackedInRun)),
        ]),
      ),
      // Transactions committed in the bench's database during the run (group commit: fewer is better).
      commits: commitCount,
      messages_per_commit: Math.round((acked / Math.max(1, commitCount)) * 10) / 10,
      // The whole server's write-ahead log over the measured seconds, per acked message.
      wal_bytes_per_message: Math.round(walWritten / Math.max(1, ackedInRun)),
      ...(postgresBusy ? { postgres_waits: postgresBusy } : {}),
    };
  } finally {
    await srv.close();
  }
}
