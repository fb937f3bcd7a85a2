import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws.js';
import { readiness, spawnNode, spawnRedis, waitFor } from '../helpers/processes.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

// A Redis that stops answering but keeps its connections open (a hung process, a partition):
// the node reaches it through a proxy that swallows everything ("blackhole").
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let node: Awaited<ReturnType<typeof spawnNode>>;
const clients: WsClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await spawnRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  node = await spawnNode({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await node?.kill('SIGKILL');
  await proxy?.close();
  await redis?.kill('SIGKILL');
  await db?.drop();
});

/** The `chatify_bus_healthy` gauge, as Prometheus would read it. */
const busHealthy = async () =>
  /^chatify_bus_healthy (\d)$/m.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1];
/** How long `f` takes, in ms. */
const timed = async (f: () => Promise<unknown>) => {
  const started = Date.now();
  await f();
  return Date.now() - started;
};

it('a Redis that hangs: sign-in, sends and new sockets go on without it, readiness and the bus gauge say so, then recover', async () => {
  const http = httpClient(node.url);
  const [alice, bob] = [await createUser(http), await createUser(http)];
  const conversationId = await createDirect(http, alice, bob);
  await waitFor(async () => (await readiness(node.url)) === 'ready', 'ready with Redis');
  expect(await busHealthy()).toBe('1');

  proxy.cut('blackhole');
  // The rate limiter's count and presence wait at most their command timeout (1 s), then go
  // on without Redis; the bus notices within its heartbeat (2 s) and the timeout.
  await waitFor(async () => (await readiness(node.url)) === 'degraded', 'degraded readiness', 10_000);
  expect(await busHealthy()).toBe('0');
  let login: { status: number } = { status: 0 };
  expect(await timed(async () => (login = await http.post('/api/auth/login', alice)))).toBeLessThan(3_000);
  expect(login.status).toBe(200);
  let sent: { status: number } = { status: 0 };
  const send = () =>
    http.post(`/api/conversations/${conversationId}/messages`, { content: 'hi', client_id: randomUUID() }, alice.token);
  expect(await timed(async () => (sent = await send()))).toBeLessThan(3_000);
  expect(sent.status).toBe(201);
  // A new socket gets `ready` (presence goes on with what this node knows).
  expect(await timed(async () => clients.push(await WsClient.connect(node.url, bob.token)))).toBeLessThan(5_000);

  proxy.restore();
  await waitFor(async () => (await readiness(node.url)) === 'ready', 'ready again', 20_000);
  expect(await busHealthy()).toBe('1');
}, 60_000);
