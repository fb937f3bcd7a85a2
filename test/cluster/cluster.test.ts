import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createUser } from '../helpers/factories.js';
import { settle, WsClient } from '../helpers/ws.js';
import { readiness, spawnNode, spawnRedis, waitFor } from '../helpers/processes.js';

// Two nodes on one PostgreSQL database and a private Redis: every realtime rule must hold
// across them, and losing a node or Redis must cost no acknowledged message.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let node1: Awaited<ReturnType<typeof spawnNode>>;
let node2: Awaited<ReturnType<typeof spawnNode>>;
const clients: WsClient[] = [];
const connect = async (base: string, token: string) => {
  const c = await WsClient.connect(base, token);
  clients.push(c);
  return c;
};
const nodeEnv = () => ({
  DATABASE_URL: db.url,
  REDIS_URL: redis.url,
  PRESENCE_TTL_MS: '1500',
  WS_SEND_RATE: '1000',
  WS_SEND_BURST: '1000',
  // Long enough that only a revocation heard on the bus (or a lost bus) can end a cached session.
  SESSION_CACHE_SECONDS: '60',
});

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await spawnRedis();
  // Both boot at once: migrations take an advisory lock, so they apply exactly once.
  [node1, node2] = await Promise.all([spawnNode(nodeEnv()), spawnNode(nodeEnv())]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([node1?.kill('SIGKILL'), node2?.kill('SIGKILL')]);
  await redis?.kill('SIGKILL');
  await db?.drop();
});

const http1 = () => httpClient(node1.url);

describe('two nodes', () => {
  it('users on different nodes chat with acks, fan-out to every device once, typing, receipts and presence', async () => {
    const alice = await createUser(http1());
    const bob = await createUser(http1());
    const conversationId = await createDirect(http1(), alice, bob);
    const a1 = await connect(node1.url, alice.token);
    const b2 = await connect(node2.url, bob.token);
    await a1.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'online');
    const a2 = await connect(node2.url, alice.token); // Alice's second device, on the other node

    const ack = await a1.request('chat_message', {
      conversation_id: conversationId,
      content: 'hi from 1',
      client_id: randomUUID(),
    });
    expect(ack.type).toBe('message_ack');
    await b2.waitForType('new_message', (p) => p.id === ack.payload.id);
    await a2.waitForType('new_message', (p) => p.id === ack.payload.id);

    b2.send('read_receipt', { conversation_id: conversationId, seq: 1 });
    const receipt = await a1.waitForType('receipt_update', (p) => p.user_id === bob.id && p.read_seq === 1);
    expect(receipt.payload.delivered_seq).toBe(1);
    await a2.waitForType('receipt_update', (p) => p.user_id === bob.id && p.read_seq === 1);

    const reply = await b2.request('chat_message', {
      conversation_id: conversationId,
      content: 'hi from 2',
      client_id: randomUUID(),
    });
    await a1.waitForType('new_message', (p) => p.id === reply.payload.id);
    await a2.waitForType('new_message', (p) => p.id === reply.payload.id);

    b2.send('typing', { conversation_id: conversationId, is_typing: true });
    await a1.waitForType('typing', (p) => p.user_id === bob.id && p.is_typing);
    await a2.waitForType('typing', (p) => p.user_id === bob.id && p.is_typing);

    await settle(300);
    for (const c of [a1, a2, b2]) {
      const seqs = c.ofType('new_message').map((f) => f.payload.seq);
      expect(seqs).toEqual([1, 2]); // everything, once, in order
    }

    await b2.close();
    await a1.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'offline');
    await a2.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'offline');
  });

  it('edits, reactions and deletes made on one node reach every device on the other, once each', async () => {
    const alice = await createUser(http1());
    const bob = await createUser(http1());
    const conversationId = await createDirect(http1(), alice, bob);
    const a1 = await connect(node1.url, alice.token);
    const b2 = await connect(node2.url, bob.token);
    const ack = await a1.request('chat_message', {
      conversation_id: conversationId,
      content: 'v1',
      client_id: randomUUID(),
    });
    const id = ack.payload.id;
    expect((await a1.request('message_edit', { message_id: id, content: 'v2' })).payload.change_seq).toBe(1);
    expect((await b2.request('reaction_add', { message_id: id, emoji: '👍' })).payload.change_seq).toBe(2);
    expect((await a1.request('message_delete', { message_id: id })).payload.change_seq).toBe(3);
    await b2.waitForType('message_updated', (p) => p.id === id && p.change_seq === 3);
    await a1.waitForType('message_updated', (p) => p.id === id && p.change_seq === 2);
    await settle(300);
    // Bob's socket got the edit and the delete as events, and its own reaction as an event and
    // as the reply to its frame (in either order).
    const got = b2.ofType('message_updated').map((f) => [f.payload.change_seq, f.id === undefined] as const);
    expect(got.sort((x, y) => x[0] - y[0] || Number(x[1]) - Number(y[1]))).toEqual([
      [1, true],
      [2, false],
      [2, true],
      [3, true],
    ]);
    expect(b2.ofType('message_updated').at(-1)!.payload).toMatchObject({ content: '', reactions: [] });
  });

  it('presence counts devices across nodes: offline only when the last one on any node closes', async () => {
    const watcher = await createUser(http1());
    const roamer = await createUser(http1());
    await createDirect(http1(), watcher, roamer);
    const w = await connect(node1.url, watcher.token);
    const r1 = await connect(node1.url, roamer.token);
    const r2 = await connect(node2.url, roamer.token);
    await w.waitForType('presence_update', (p) => p.user_id === roamer.id && p.status === 'online');
    await r1.close();
    await settle(300);
    expect(
      w.ofType('presence_update').filter((f) => f.payload.user_id === roamer.id && f.payload.status === 'offline'),
    ).toHaveLength(0);
    await r2.close();
    await w.waitForType('presence_update', (p) => p.user_id === roamer.id && p.status === 'offline');
  });

  it('logging out on one node closes the session’s socket on the other', async () => {
    const u = await createUser(http1());
    const s2 = await connect(node2.url, u.token);
    expect((await http1().post('/api/auth/logout', undefined, u.token)).status).toBe(204);
    expect((await s2.closed).code).toBe(4401);
  });

  it('a session ended on one node is refused on the other at once, though that node had it cached', async () => {
    const u = await createUser(http1());
    const signedIn = await http1().post('/api/auth/login', { email: u.email, password: u.password });
    const other = { token: signedIn.body.token as string };
    const http2 = httpClient(node2.url);
    expect((await http2.get('/api/users/me', u.token)).status).toBe(200);
    expect((await http2.get('/api/users/me', other.token)).status).toBe(200);
    expect((await http1().post('/api/auth/logout', undefined, u.token)).status).toBe(204);
    await expect.poll(async () => (await http2.get('/api/users/me', u.token)).status, { timeout: 2_000 }).toBe(401);
    expect((await http2.get('/api/users/me', other.token)).status).toBe(200);
  });

  it('a node killed with SIGKILL: its users go offline for their contacts within the presence TTL', async () => {
    const watcher = await createUser(http1());
    const victim = await createUser(http1());
    await createDirect(http1(), watcher, victim);
    const w = await connect(node1.url, watcher.token);
    await connect(node2.url, victim.token);
    await w.waitForType('presence_update', (p) => p.user_id === victim.id && p.status === 'online');
    await node2.kill('SIGKILL');
    const offline = await w.waitForType(
      'presence_update',
      (p) => p.user_id === victim.id && p.status === 'offline',
      8_000,
    );
    expect(offline.payload.last_seen_at).toBeTruthy();
    await node2.start();
  });

  it('SIGTERM closes sockets with 1012 and exits within 10 s', async () => {
    const u = await createUser(http1());
    const c = await connect(node2.url, u.token);
    const started = Date.now();
    const code = await node2.kill('SIGTERM');
    expect((await c.closed).code).toBe(1012);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await node2.start();
  });
});

describe('Redis outage', () => {
  it('keeps acking and delivering on the same node, reports degraded, and converges after Redis returns', async () => {
    const alice = await createUser(http1());
    const bob = await createUser(http1());
    const conversationId = await createDirect(http1(), alice, bob);
    const a1 = await connect(node1.url, alice.token);
    const b1 = await connect(node1.url, bob.token);
    const b2 = await connect(node2.url, bob.token);

    // Sessions node 2 has seen live (cached for 60 s here); their logouts happen during the outage.
    const [carol, dave] = [await createUser(http1()), await createUser(http1())];
    const http2 = httpClient(node2.url);
    for (const u of [carol, dave]) expect((await http2.get('/api/users/me', u.token)).status).toBe(200);

    await redis.kill('SIGKILL');
    await waitFor(async () => (await readiness(node1.url)) === 'degraded', 'degraded readiness');
    await waitFor(async () => (await readiness(node2.url)) === 'degraded', 'degraded readiness on node 2');
    for (const u of [carol, dave]) {
      expect((await http1().post('/api/auth/logout', undefined, u.token)).status).toBe(204);
    }
    // The bus that would have told node 2 is down: it asks PostgreSQL instead of trusting its cache.
    expect((await http2.get('/api/users/me', carol.token)).status).toBe(401);
    const during = [];
    for (let i = 0; i < 5; i++) {
      const ack = await a1.request('chat_message', {
        conversation_id: conversationId,
        content: `outage ${i}`,
        client_id: randomUUID(),
      });
      expect(ack.type).toBe('message_ack');
      during.push(ack.payload.seq);
      await b1.waitForType('new_message', (p) => p.seq === ack.payload.seq); // same node: still live
    }

    await redis.start();
    await waitFor(
      async () => (await readiness(node1.url)) === 'ready' && (await readiness(node2.url)) === 'ready',
      'both nodes ready again',
      20_000,
    );
    // The revocation published during the outage never reached node 2: it trusts nothing it
    // learned before its bus reconnected.
    expect((await http2.get('/api/users/me', dave.token)).status).toBe(401);
    // Cross-node delivery resumes...
    const after = await a1.request('chat_message', {
      conversation_id: conversationId,
      content: 'after',
      client_id: randomUUID(),
    });
    await b2.waitForType('new_message', (p) => p.id === after.payload.id, 10_000);
    // ...and the device on the other node catches up on what it missed by sync.
    const seen = new Set(b2.ofType('new_message').map((f) => f.payload.seq));
    const sync = await b2.request('sync', { conversations: [{ conversation_id: conversationId, after_seq: 0 }] });
    const all = sync.payload.conversations[0].messages.map((m: any) => m.seq);
    expect(all).toEqual([...during, after.payload.seq]);
    for (const seq of all) seen.add(seq);
    expect([...seen].sort((x, y) => x - y)).toEqual(all);
  });
});
