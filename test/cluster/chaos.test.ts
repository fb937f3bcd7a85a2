import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createUser } from '../helpers/factories.js';
import { spawnCaddy, spawnNode, spawnRedis } from '../helpers/processes.js';
import { chaosSender } from '../helpers/chaos-client.js';

// Jepsen-style: clients send continuously through Caddy while nodes are killed with SIGKILL;
// afterwards every acknowledgement is checked against the database.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let nodes: Awaited<ReturnType<typeof spawnNode>>[] = [];
let caddy: Awaited<ReturnType<typeof spawnCaddy>>;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await spawnRedis();
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' };
  nodes = await Promise.all([spawnNode(env), spawnNode(env)]);
  caddy = await spawnCaddy(nodes.map((n) => `127.0.0.1:${n.port}`));
}, 60_000);

afterAll(async () => {
  await caddy?.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await redis?.kill('SIGKILL');
  await db?.drop();
});

it('nodes killed with SIGKILL mid-conversation: no acked message lost, none duplicated, one order for both', async () => {
  const http = httpClient(caddy.url);
  const alice = await createUser(http);
  const bob = await createUser(http);
  const conversationId = await createDirect(http, alice, bob);
  const senders = [
    chaosSender(caddy.url, alice.token, conversationId, 'alice'),
    chaosSender(caddy.url, bob.token, conversationId, 'bob'),
  ];

  const PER_CLIENT = 80;
  const sending = (async () => {
    for (let i = 0; i < PER_CLIENT; i++) {
      for (const s of senders) s.queue(i);
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  // Kill each node in turn while messages flow, bringing it back before killing the next.
  for (const node of nodes) {
    await new Promise((r) => setTimeout(r, 400));
    await node.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await node.start();
  }
  await sending;
  await Promise.all(senders.map((s) => s.settle()));
  for (const s of senders) s.stop();

  // Every message was acknowledged in the end, and both clients were cut off at least once.
  for (const s of senders) {
    expect(s.pending.size).toBe(0);
    expect(s.acked.size).toBe(PER_CLIENT);
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
  }
  // The database holds exactly the acknowledged messages, at the acknowledged seqs, with no gap.
  const { rows } = await (async () => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: db.url });
    await client.connect();
    try {
      return await client.query<{ id: string; client_id: string; seq: number }>(
        'SELECT id, client_id, seq FROM messages WHERE conversation_id = $1 ORDER BY seq',
        [conversationId],
      );
    } finally {
      await client.end();
    }
  })();
  const acked = new Map([...senders[0]!.acked, ...senders[1]!.acked]);
  expect(rows).toHaveLength(2 * PER_CLIENT);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 2 * PER_CLIENT }, (_, i) => i + 1));
  for (const r of rows) expect(acked.get(r.client_id)).toEqual({ id: r.id, seq: r.seq });

  // Both members read the same history in the same order.
  const history = async (token: string) => {
    const all = [];
    for (let after = 0; ;) {
      const res = await http.get(`/api/conversations/${conversationId}/messages?after_seq=${after}&limit=100`, token);
      expect(res.status, res.text).toBe(200);
      all.push(...res.body.messages);
      if (res.body.messages.length < 100) return all;
      after = res.body.messages.at(-1).seq;
    }
  };
  const [ha, hb] = await Promise.all([history(alice.token), history(bob.token)]);
  expect(ha).toEqual(hb);
  expect(ha.map((m: any) => m.id)).toEqual(rows.map((r) => r.id));
  // Each sender's messages are stored in the order they were written.
  for (const label of ['alice', 'bob']) {
    const mine = ha
      .filter((m: any) => m.content.startsWith(`${label} `))
      .map((m: any) => Number(m.content.split(' ')[1]));
    expect(mine).toEqual(Array.from({ length: PER_CLIENT }, (_, i) => i));
  }
}, 90_000);
