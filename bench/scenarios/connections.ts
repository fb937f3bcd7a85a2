import { fork, type ChildProcess } from 'node:child_process';
import { spawnRedis } from '../../test/helpers/processes.js';
import { benchNode, benchServer, rssBytes, seedUsers, sleep, type BenchServer } from '../lib.js';

/** Sockets per driver process: each process may hold at most `ulimit -n` (20,000 here) descriptors. */
const PER_DRIVER = 15_000;

interface Answer {
  connected: number;
  failed: number;
  retried: number;
  error: string | null;
}

/**
 * C idle authenticated sockets, one user each: connect rate and the servers' resident memory
 * per socket. Source addresses rotate over 127.0.0.x so the ephemeral ports of one address
 * never run out, and the sockets are held by several driver processes (bench/connect-worker.ts)
 * so that none runs out of descriptors. The server is held to the same limit, so past about
 * 19,000 sockets they are spread over `nodes` server processes, a cluster sharing PostgreSQL
 * and a private Redis as in production; the figure per socket is then the sum over the nodes.
 */
export async function connections(o: { count: number; concurrency: number; nodes: number }) {
  if (o.count / o.nodes > 19_000) {
    throw new Error(`${o.count} sockets on ${o.nodes} node(s): a node holds at most about 19,000 here; add --nodes`);
  }
  const redis = o.nodes > 1 ? await spawnRedis() : null;
  // A cluster's nodes share the database's 100 connections.
  const env: Record<string, string> = redis
    ? { PRESENCE_GROUP_LIMIT: '0', REDIS_URL: redis.url, DATABASE_POOL_SIZE: '8' }
    : { PRESENCE_GROUP_LIMIT: '0' };
  let srv: BenchServer | undefined;
  const extra: Awaited<ReturnType<typeof benchNode>>[] = [];
  const drivers: ChildProcess[] = [];
  try {
    srv = await benchServer(env);
    const db = srv.db;
    for (let i = 1; i < o.nodes; i++) extra.push(await benchNode(db.url, env));
    const nodes = [srv.node, ...extra];
    const users = await seedUsers(srv.pool, o.count);
    await sleep(500);
    const before = nodes.map((n) => rssBytes(n.pid!));
    const redisBefore = redis ? rssBytes(redis.pid!) : 0;
    const targets = users.map((u, i) => [nodes[i % nodes.length]!.url, u.token, `127.0.0.${2 + (i % 50)}`]);
    const shares = Math.ceil(o.count / PER_DRIVER);
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: shares }, (_, d) => {
        const child = fork(new URL('../connect-worker.ts', import.meta.url), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        drivers.push(child);
        return new Promise<Answer>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`driver exited with ${code}`)));
          // The driver says 'ready' once it listens (a message sent before that would be lost).
          child.once('message', () => {
            child.once('message', (m) => resolve(m as Answer));
            child.send({
              targets: targets.filter((_, i) => i % shares === d),
              concurrency: Math.ceil(o.concurrency / shares),
            });
          });
        });
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const connected = answers.reduce((n, a) => n + a.connected, 0);
    await sleep(2000);
    const after = nodes.map((n) => rssBytes(n.pid!));
    const grown = after.reduce((sum, a, i) => sum + a - before[i]!, 0);
    const kib = (bytes: number) => Math.round((bytes / connected / 1024) * 10) / 10;
    // Right after connecting, the heap still holds the garbage of the connect storm; V8 gives
    // memory back once allocation has been quiet for a while. Both figures are reported.
    await sleep(28_000);
    const settled = nodes.map((n) => rssBytes(n.pid!));
    const settledGrowth = settled.reduce((sum, a, i) => sum + a - before[i]!, 0);
    return {
      scenario: 'connections',
      options: o,
      connected,
      failed: answers.reduce((n, a) => n + a.failed, 0),
      // Attempts the server refused or dropped before ready, tried again by the driver.
      retried: answers.reduce((n, a) => n + a.retried, 0),
      first_error: answers.find((a) => a.error)?.error ?? null,
      connects_per_second: Math.round(connected / seconds),
      server_rss_mib_before: before.map((b) => Math.round(b / 2 ** 20)),
      server_rss_mib_after: after.map((a) => Math.round(a / 2 ** 20)),
      rss_kib_per_socket: kib(grown),
      server_rss_mib_after_30s: settled.map((a) => Math.round(a / 2 ** 20)),
      rss_kib_per_socket_after_30s: kib(settledGrowth),
      // Presence entries (one per socket) held by Redis, beside the servers' own memory.
      ...(redis ? { redis_rss_kib_per_socket: kib(rssBytes(redis.pid!) - redisBefore) } : {}),
    };
  } finally {
    for (const d of drivers) if (d.connected) d.disconnect();
    await Promise.all(extra.map((n) => n.kill('SIGKILL')));
    await srv?.close();
    await redis?.kill('SIGKILL');
  }
}
