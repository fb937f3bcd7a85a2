import pg from 'pg';
import http from 'node:http';
import WebSocket from 'ws';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { signAccessToken, tokenKeys } from '../server/auth/tokens.js';
import { createTestDatabase } from '../test/helpers/db.js';
import { spawnNode, TEST_NODE_ENV } from '../test/helpers/processes.js';

/**
 * A pool on a bench database. pool.end() resolves before its sockets have closed, and the
 * DROP DATABASE ... WITH (FORCE) that follows can then terminate one: the pool ignores that
 * idle client's error, which would otherwise crash the run.
 */
export function benchPool(connectionString: string | undefined, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}

/** A server process on a fresh database, tuned for load (no per-user send throttle). */
export async function benchServer(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const node = await benchNode(db.url, env);
  const pool = benchPool(db.url, 4);
  return {
    url: node.url,
    node,
    db,
    pool,
    async close() {
      // SIGTERM lets a profiling server write its profile on the way out.
      await node.kill(process.env.BENCH_CPU_PROF ? 'SIGTERM' : 'SIGKILL');
      await pool.end();
      await db.drop();
    },
  };
}

/** One more server process (a node of a cluster) on the given database; `entry`: another build's. */
export function benchNode(databaseUrl: string, env: Record<string, string> = {}, entry?: string) {
  return spawnNode(
    {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      WS_SEND_RATE: '1000000',
      WS_SEND_BURST: '1000000',
      DATABASE_POOL_SIZE: '20',
      ...env,
    },
    {
      // BENCH_CPU_PROF=1: the server writes a V8 CPU profile (open it in Chrome DevTools or
      // speedscope; `npm run bench:profile-summary` prints the top functions).
      // BENCH_NODE_ARGS='--flag …' adds V8 or Node.js flags to the server's (to try one in an A/B).
      nodeArgs: [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
      ],
      // BENCH_SERVER=path/to/dist/server/main.js runs another build (A/B runs against a copy of
      // an older dist/ kept inside the project, so its packages resolve).
      entry: entry ?? (process.env.BENCH_SERVER || undefined),
    },
  );
}
export type BenchServer = Awaited<ReturnType<typeof benchServer>>;

/** A round of an A/B on one seeded database: which build's server, whether left out as a warm-up. */
export interface Round<M> {
  build: 'this' | 'other';
  warmup: boolean;
  m: M;
}

/**
 * Both builds measured in turn on the database at `databaseUrl`, rounds ordered other, this,
 * this, other (`cycles` times), each a fresh server process, after a warm-up round of each
 * (left out): two builds compared on the same rows and the same moments of the machine. This
 * build is benchNode's default entry; the other's is `other` (its dist/ inside the project).
 */
export async function abRounds<M>(
  databaseUrl: string,
  other: string,
  cycles: number,
  measure: (url: string, pid: number) => Promise<M>,
) {
  const order: ('this' | 'other')[] = [];
  for (let c = 0; c < cycles; c++) order.push('other', 'this', 'this', 'other');
  const rounds: Round<M>[] = [];
  for (const [i, build] of [...(['other', 'this'] as const), ...order].entries()) {
    const node = await benchNode(databaseUrl, {}, build === 'other' ? other : undefined);
    try {
      rounds.push({ build, warmup: i < 2, m: await measure(node.url, node.pid!) });
    } finally {
      await node.kill('SIGKILL');
    }
    console.log(`round ${i + 1} of ${order.length + 2} (${build}${i < 2 ? ', warm-up' : ''}) done`);
  }
  /** The measured (not warm-up) rounds of one build. */
  const of = (build: 'this' | 'other') => rounds.filter((r) => !r.warmup && r.build === build).map((r) => r.m);
  return { order, rounds, of };
}

export interface SeededUser {
  id: string;
  token: string;
}

/**
 * Users and sessions written straight into the database (registering through the API would
 * spend most of the run in argon2), with access tokens signed by the server's secret.
 */
export async function seedUsers(pool: pg.Pool, n: number): Promise<SeededUser[]> {
  const users = Array.from({ length: n }, () => ({ id: randomUUID(), session: randomUUID() }));
  const tag = randomUUID().slice(0, 8);
  for (let i = 0; i < n; i += 5000) {
    const chunk = users.slice(i, i + 5000);
    await pool.query(
      `INSERT INTO users (id, username, email, password_hash, display_name)
       SELECT id, 'b' || $2 || '_' || ord, 'b' || $2 || '_' || ord || '@bench.test', 'x', 'Bench ' || ord
         FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [chunk.map((u) => u.id), `${tag}_${i}`],
    );
    await pool.query(
      `INSERT INTO sessions (id, user_id, refresh_token_hash, expires_at)
       SELECT s, u, $3, now() + interval '1 day' FROM unnest($1::uuid[], $2::uuid[]) AS x(s, u)`,
      [chunk.map((u) => u.session), chunk.map((u) => u.id), createHash('sha256').update('bench').digest('hex')],
    );
  }
  const keys = tokenKeys(TEST_NODE_ENV.JWT_SECRET, 900);
  return users.map((u) => ({ id: u.id, token: signAccessToken(keys, { userId: u.id, sessionId: u.session }) }));
}

/** A direct conversation (or a group) with its members, straight into the database. */
export async function seedConversation(pool: pg.Pool, memberIds: string[], kind: 'direct' | 'group' = 'direct') {
  const id = randomUUID();
  await pool.query(`INSERT INTO conversations (id, kind, direct_key, title) VALUES ($1, $2, $3, $4)`, [
    id,
    kind,
    kind === 'direct'
      ? createHash('sha256')
          .update([...memberIds].sort().join(':'))
          .digest('hex')
      : null,
    kind === 'group' ? 'Bench room' : null,
  ]);
  await pool.query(
    `INSERT INTO conversation_members (conversation_id, user_id, role)
     SELECT $1, u, CASE WHEN ord = 1 THEN 'owner' ELSE 'member' END FROM unnest($2::uuid[]) WITH ORDINALITY AS m(u, ord)`,
    [id, memberIds],
  );
  return id;
}

/** An authenticated socket; resolves at `ready`. */
export function openSocket(base: string, token: string, opts: { localAddress?: string } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(token)}`, {
      perMessageDeflate: false,
      // The driver trusts the server's text; validating it would be CPU the server does not get.
      skipUTF8Validation: true,
      localAddress: opts.localAddress,
    });
    const onReady = (data: WebSocket.RawData) => {
      if (data.toString().startsWith('{"type":"ready"')) {
        ws.off('message', onReady);
        resolve(ws);
      }
    };
    ws.on('message', onReady);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before ready`)));
    ws.once('unexpected-response', (req, res) => {
      // With this listener ws leaves the refused handshake open: end it here.
      req.destroy();
      reject(new Error(`upgrade refused: ${res.statusCode}`));
    });
  });
}

/**
 * A GET over one kept-alive connection with node:http, answering the status and the body as
 * text. The history scenario measures with it rather than fetch(), whose streams cost the
 * driver (on the same two cores as the server) twice the CPU and added 1–3 ms to its p99
 * (interleaved runs against one idle server: /healthz p99 2.6–3.5 ms against 4.5–6.7 ms).
 */
export function httpGetter(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(base);
  return (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: hostname, port, path, agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
}

export function percentiles(values: number[]) {
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]! : NaN);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: v.length, p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(v.at(-1) ?? NaN) };
}

const TICKS = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command's name (the first is the state, field 3). */
const statFields = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** CPU seconds used by a process so far (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** CPU seconds used by a process's children that have exited and been waited for. */
function reapedCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/** Resident memory of a process in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

/** Measures a process's CPU use over a stretch of time, as a share of one core. */
export function cpuMeter(pid: number) {
  const t0 = performance.now();
  const c0 = cpuSeconds(pid);
  return () => (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds of every postgres process on the machine (the shared server and its backends),
 * with those of the ones that have exited: the postmaster's children's, which it has reaped
 * (an autovacuum worker or a parallel worker that ends within a measured stretch would
 * otherwise take its CPU out of the sum, and a stretch could show less than nothing). A
 * child reaped while the live ones are summed would be missed by both: the sum is taken
 * again when the postmaster's count of its reaped children changed meanwhile.
 */
export function postgresCpuSeconds(): number {
  const postgres = () =>
    readdirSync('/proc').filter((pid) => {
      try {
        return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false; // exited meanwhile
      }
    });
  const ppid = (pid: string) => {
    try {
      return statFields(Number(pid))[1]!;
    } catch {
      return pid; // exited meanwhile: not the postmaster
    }
  };
  const pids = postgres();
  const postmaster = pids.find((pid) => !pids.includes(ppid(pid)));
  const reaped = () => (postmaster ? reapedCpuSeconds(Number(postmaster)) : 0);
  let total = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = reaped();
    total = 0;
    for (const pid of postgres()) {
      try {
        total += cpuSeconds(Number(pid));
      } catch {
        // exited meanwhile (and reaped: counted below, or the sum is taken again)
      }
    }
    const after = reaped();
    total += after;
    if (after === before) break;
  }
  return total;
}

/** Busy share of the whole machine, of this driver process, of the server and of PostgreSQL, in cores. */
export function cpuBreakdown(serverPid: number) {
  const t0 = performance.now();
  const server0 = cpuSeconds(serverPid);
  const pg0 = postgresCpuSeconds();
  const self0 = process.cpuUsage();
  return () => {
    const secs = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const r = (x: number) => Math.round((x / secs) * 100) / 100;
    return {
      server: r(cpuSeconds(serverPid) - server0),
      postgres: r(postgresCpuSeconds() - pg0),
      driver: r((self.user + self.system) / 1e6),
    };
  };
}

/**
 * What the bench database's busy backends are doing, sampled every `everyMs` over one
 * connection of its own (to the `postgres` database) until the returned function is called: for each state, the average
 * number of backends in it (`cpu`: running or waiting for a core; otherwise PostgreSQL's
 * wait event, as `IO:WALSync`). The sampling costs PostgreSQL a little CPU of its own (one
 * short query per sample), so it is asked for (`--waits`), not on by default.
 */
export function postgresWaits(databaseUrl: string, everyMs = 5) {
  // From the `postgres` database: the samples are not transactions of the bench's own.
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => {});
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ state: string; n: number }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu') AS state, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = $1 AND state = 'active'
          GROUP BY 1`,
        [database],
      );
      samples++;
      for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + r.n);
      await sleep(everyMs);
    }
  })();
  return async () => {
    running = false;
    await loop;
    await client.end();
    const busy = [...counts].sort((a, b) => b[1] - a[1]);
    return {
      samples,
      backends_by_state: Object.fromEntries(busy.map(([k, n]) => [k, Math.round((n / samples) * 100) / 100])),
    };
  };
}

/** Where the whole PostgreSQL server's write-ahead log is (bytes): differences give what was written. */
export async function walPosition(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ b: string }>(
    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS b",
  );
  return Number(rows[0]!.b);
}
