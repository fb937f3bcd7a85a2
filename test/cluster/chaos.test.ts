import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, storedMessages } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createGroup, createUsers } from '../helpers/factories.js';
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

it('nodes killed with SIGKILL again and again: no acked message lost, none duplicated, one order for every member', async () => {
  const http = httpClient(caddy.url);
  const [alice, bob, carol] = await createUsers(http, 3);
  const direct = await createDirect(http, alice, bob);
  const group = await createGroup(http, alice, [bob, carol]);
  const senders = [
    chaosSender(caddy.url, alice.token, direct, 'alice'),
    chaosSender(caddy.url, bob.token, direct, 'bob'),
    chaosSender(caddy.url, carol.token, group, 'carol'),
    chaosSender(caddy.url, alice.token, group, 'alice'),
  ];

  // Everyone sends every 30 ms until the killing is over; four kills, alternating nodes,
  // each node brought back before the next one dies.
  let killing = true;
  let sent = 0;
  const sending = (async () => {
    while (killing || sent < 40) {
      for (const s of senders) s.queue(sent);
      sent++;
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  const KILLS = 4;
  for (let k = 0; k < KILLS; k++) {
    const node = nodes[k % nodes.length]!;
    await new Promise((r) => setTimeout(r, 400));
    await node.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await node.start();
  }
  killing = false;
  await sending;
  await Promise.all(senders.map((s) => s.settle()));
  for (const s of senders) s.stop();

  // Every message was acknowledged in the end, and every client was cut off at least once.
  for (const s of senders) {
    expect(s.pending.size).toBe(0);
    expect(s.errors).toEqual([]);
    expect(s.acked.size).toBe(sent);
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
  }
  const acked = new Map(senders.flatMap((s) => [...s.acked]));
  const reconnects = senders.map((s) => s.reconnects).join('/');
  console.info(`chaos: ${KILLS} SIGKILLs, ${acked.size} messages acked, reconnects per client ${reconnects}`);
  for (const [conversationId, members, labels] of [
    [direct, [alice, bob], ['alice', 'bob']],
    [group, [alice, bob, carol], ['carol', 'alice']],
  ] as const) {
    // The database holds exactly the acknowledged messages, at the acknowledged seqs, with no gap.
    const rows = await storedMessages(db.url, conversationId);
    expect(rows).toHaveLength(2 * sent);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 2 * sent }, (_, i) => i + 1));
    for (const r of rows) expect(acked.get(r.client_id)).toEqual({ id: r.id, seq: r.seq });

    // Every member reads the same history in the same order.
    const histories = await Promise.all(members.map((m) => history(http, conversationId, m.token)));
    for (const h of histories.slice(1)) expect(h).toEqual(histories[0]);
    expect(histories[0]!.map((m: any) => m.id)).toEqual(rows.map((r) => r.id));
    // Each sender's messages are stored once each, in the order they were written.
    for (const label of labels) {
      const mine = histories[0]!
        .filter((m: any) => m.content.startsWith(`${label} `))
        .map((m: any) => Number(m.content.split(' ')[1]));
      expect(mine).toEqual(Array.from({ length: sent }, (_, i) => i));
    }
  }
}, 120_000);

async function history(http: ReturnType<typeof httpClient>, conversationId: string, token: string) {
  const all = [];
  for (let after = 0; ;) {
    const res = await http.get(`/api/conversations/${conversationId}/messages?after_seq=${after}&limit=100`, token);
    expect(res.status, res.text).toBe(200);
    all.push(...res.body.messages);
    if (res.body.messages.length < 100) return all;
    after = res.body.messages.at(-1).seq;
  }
}
