import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createUsers, sendText } from '../helpers/factories.js';
import { settle, WsClient } from '../helpers/ws.js';
import { readiness, spawnNode, spawnRedis, waitFor } from '../helpers/processes.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

// Two nodes on one Redis; node B reaches it through a proxy the test cuts. Sockets stay open
// through the cut (only the link between the nodes is down), so nothing but the server can
// tell their clients that events were lost on the way (decision 038).
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let nodeA: Awaited<ReturnType<typeof spawnNode>>;
let nodeB: Awaited<ReturnType<typeof spawnNode>>;
const clients: WsClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await spawnRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  [nodeA, nodeB] = await Promise.all([
    spawnNode({ DATABASE_URL: db.url, REDIS_URL: redis.url }),
    spawnNode({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([nodeA?.kill('SIGKILL'), nodeB?.kill('SIGKILL')]);
  await proxy?.close();
  await redis?.kill('SIGKILL');
  await db?.drop();
});

it('a node cut off from Redis: the sockets that missed events, on it and on the other node, are told to catch up, and find what they missed', async () => {
  const http = httpClient(nodeA.url);
  // Alice (node A) writes to Bob (node B); Dave (node B) writes to Carol (node A); Erin (node A)
  // is in neither conversation.
  const [alice, bob, carol, dave, erin] = await createUsers(http, 5);
  const aliceBob = await createDirect(http, alice, bob);
  const daveCarol = await createDirect(http, dave, carol);
  await createDirect(http, erin, alice);
  await waitFor(
    async () => (await readiness(nodeA.url)) === 'ready' && (await readiness(nodeB.url)) === 'ready',
    'both ready',
  );
  const connect = async (url: string, token: string) => {
    const c = await WsClient.connect(url, token);
    clients.push(c);
    return c;
  };
  const [bobOnB, carolOnA, erinOnA] = [
    await connect(nodeB.url, bob.token),
    await connect(nodeA.url, carol.token),
    await connect(nodeA.url, erin.token),
  ];
  // Live across nodes before the cut.
  await sendText(http, alice, aliceBob, 'before');
  await bobOnB.waitForType('new_message', (m) => m.content === 'before');

  proxy.cut('reset');
  await waitFor(async () => (await readiness(nodeB.url)) === 'degraded', 'B degraded', 10_000);
  const toBob = await sendText(http, alice, aliceBob, 'while B was cut off');
  const toCarol = await sendText(httpClient(nodeB.url), dave, daveCarol, 'sent on B while cut off');
  await settle(300);
  expect(bobOnB.ofType('new_message').map((f) => f.payload.content)).toEqual(['before']);
  expect(carolOnA.ofType('new_message')).toEqual([]);

  proxy.restore();
  // Bob's node missed what node A published; Carol's node never got what node B could not
  // publish. Each is asked to catch up, on the socket it kept.
  await bobOnB.waitForType('resync', () => true, 15_000);
  await carolOnA.waitForType('resync', () => true, 15_000);
  for (const [client, conversationId, after, missed] of [
    [bobOnB, aliceBob, toBob.seq - 1, toBob],
    [carolOnA, daveCarol, 0, toCarol],
  ] as const) {
    const reply = await client.request('sync', {
      conversations: [{ conversation_id: conversationId, after_seq: after }],
    });
    expect(reply.type).toBe('sync_result');
    expect(reply.payload.conversations[0].messages.map((m: { id: string }) => m.id)).toEqual([missed.id]);
  }
  // Nobody else is bothered, and nobody is asked twice.
  await settle(2_500);
  expect(erinOnA.ofType('resync')).toEqual([]);
  expect(bobOnB.ofType('resync')).toHaveLength(1);
  expect(carolOnA.ofType('resync')).toHaveLength(1);
  // The live path works again.
  await sendText(http, alice, aliceBob, 'after');
  await bobOnB.waitForType('new_message', (m) => m.content === 'after');
}, 60_000);

it('a Redis that fails again soon after: the sockets are asked again, but not sooner than the gap between passes', async () => {
  const http = httpClient(nodeA.url);
  const [alice, bob, carol, dave] = await createUsers(http, 4);
  const aliceBob = await createDirect(http, alice, bob);
  const daveCarol = await createDirect(http, dave, carol);
  const bobOnB = await WsClient.connect(nodeB.url, bob.token);
  const carolOnA = await WsClient.connect(nodeA.url, carol.token);
  clients.push(bobOnB, carolOnA);
  const askedAt = new Map<WsClient, number[]>([
    [bobOnB, []],
    [carolOnA, []],
  ]);
  const cutAndHeal = async () => {
    proxy.cut('reset');
    await waitFor(async () => (await readiness(nodeB.url)) === 'degraded', 'B degraded', 10_000);
    await sendText(http, alice, aliceBob, 'to Bob while cut off');
    await sendText(httpClient(nodeB.url), dave, daveCarol, 'to Carol while cut off');
    proxy.restore();
    await Promise.all(
      [...askedAt].map(async ([client, times]) => {
        await client.waitForType('resync', () => true, 25_000);
        times.push(Date.now());
      }),
    );
  };
  await cutAndHeal();
  await cutAndHeal();
  for (const [client, [first, second]] of askedAt) {
    expect(client.ofType('resync')).toHaveLength(2);
    // 10 s between passes (RESYNC_MIN_GAP_MS), less the test's own lag in noticing the first.
    expect(second! - first!).toBeGreaterThan(9_000);
  }
}, 60_000);
