import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../helpers/db.js';
import { httpClient } from '../helpers/http.js';
import { createDirect, createUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws.js';
import { spawnNode } from '../helpers/processes.js';

// Nodes told to stop (SIGTERM), as a rolling restart does it, each in its own process.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let delayed: Awaited<ReturnType<typeof spawnNode>>;
let prompt: Awaited<ReturnType<typeof spawnNode>>;
const env = () => ({ DATABASE_URL: db.url, WS_SEND_RATE: '100000', WS_SEND_BURST: '100000' });

beforeAll(async () => {
  db = await createTestDatabase();
  [delayed, prompt] = await Promise.all([spawnNode({ ...env(), SHUTDOWN_DELAY_MS: '1500' }), spawnNode(env())]);
}, 60_000);

afterAll(async () => {
  await Promise.all([delayed?.kill('SIGKILL'), prompt?.kill('SIGKILL')]);
  await db?.drop();
});

it('with SHUTDOWN_DELAY_MS, readiness fails first while the node still serves', async () => {
  const http = httpClient(delayed.url);
  const alice = await createUser(http);
  const ws = await WsClient.connect(delayed.url, alice.token);
  const exited = delayed.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  const ready = await http.get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.status).toBe('stopping');
  expect((await http.get('/healthz')).status).toBe(200);
  expect((await http.get('/api/users/me', alice.token)).status).toBe(200);
  expect((await ws.request('ping', {})).type).toBe('pong');
  expect((await ws.closed).code).toBe(1012);
  expect(await exited).toBe(0);
}, 30_000);

it('sends already taken when the signal comes are acked before the sockets close', async () => {
  const http = httpClient(prompt.url);
  const [alice, bob] = [await createUser(http), await createUser(http)];
  const conversationId = await createDirect(http, alice, bob);
  const sockets = await Promise.all(Array.from({ length: 5 }, () => WsClient.connect(prompt.url, alice.token)));
  // A burst on every socket, and the signal while it is being stored.
  for (const ws of sockets) {
    for (let i = 0; i < 30; i++) {
      const clientId = randomUUID();
      ws.send('chat_message', { conversation_id: conversationId, content: clientId, client_id: clientId });
    }
  }
  await new Promise((r) => setTimeout(r, 5));
  const exited = prompt.kill('SIGTERM');
  for (const ws of sockets) expect((await ws.closed).code).toBe(1012);
  expect(await exited).toBe(0);

  // Every message stored was acknowledged on its socket before the close (none stored silently;
  // those not run were not stored, and their clients send them again after reconnecting).
  await prompt.start();
  const stored: string[] = [];
  for (let page; !page || page.length === 100;) {
    const res = await httpClient(prompt.url).get(
      `/api/conversations/${conversationId}/messages?after_seq=${stored.length}&limit=100`,
      alice.token,
    );
    page = res.body.messages as { client_id: string }[];
    stored.push(...page.map((m) => m.client_id));
  }
  const acked = new Set(sockets.flatMap((ws) => ws.ofType('message_ack').map((f) => f.payload.client_id)));
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.filter((id) => !acked.has(id))).toEqual([]);
}, 60_000);
