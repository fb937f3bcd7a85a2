import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, storedMessages } from '../helpers/db.js';
import { httpClient, type HttpClient } from '../helpers/http.js';
import { createDirect, createUsers, type TestUser } from '../helpers/factories.js';
import { spawnNode, waitFor } from '../helpers/processes.js';
import { startTcpProxy, type CutMode } from '../helpers/tcp-proxy.js';
import { WsClient, type Frame } from '../helpers/ws.js';

// DESIGN §4 under a database outage: the node sits behind a TCP proxy to PostgreSQL that the
// test cuts (connections reset) or partitions (nothing answers). Every send must get an answer
// within 2 s, nothing may be acked that is not stored, and the node recovers by itself.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let node: Awaited<ReturnType<typeof spawnNode>>;
let http: HttpClient;
let alice: TestUser;
let bob: TestUser;
let conversationId: string;
const acks = new Map<string, { id: string; seq: number }>();

beforeAll(async () => {
  db = await createTestDatabase();
  const url = new URL(db.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${proxy.port}`;
  node = await spawnNode({ DATABASE_URL: url.toString(), WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' });
  http = httpClient(node.url);
  [alice, bob] = await createUsers(http, 2);
  conversationId = await createDirect(http, alice, bob);
}, 60_000);

afterAll(async () => {
  // A node that died: its last words, for whoever reads the failure.
  if (node && !node.running) console.error(`the node exited; its output:\n${node.output()}`);
  await node?.kill('SIGKILL');
  await proxy?.close();
  await db?.drop();
});

/** Sends one message and resolves with its answer (ack or error) and how long it took. */
async function send(ws: WsClient, clientId = randomUUID()) {
  const started = Date.now();
  const answer = ws.waitFor(
    (f) =>
      (f.type === 'message_ack' && f.payload.client_id === clientId) ||
      (f.type === 'error' && f.payload.ref === clientId),
    10_000,
  );
  ws.send('chat_message', { conversation_id: conversationId, content: `m ${clientId}`, client_id: clientId });
  const frame: Frame = await answer;
  if (frame.type === 'message_ack') acks.set(clientId, { id: frame.payload.id, seq: frame.payload.seq });
  return { clientId, frame, ms: Date.now() - started };
}

describe.each<CutMode>(['reset', 'blackhole'])('PostgreSQL unreachable (%s)', (mode) => {
  it('every send is answered within 2 s, nothing unstored is acked, and the node recovers by itself', async () => {
    const ws = await WsClient.connect(node.url, alice.token);
    const before = await send(ws);
    expect(before.frame.type).toBe('message_ack');

    proxy.cut(mode);
    // Ten sends in a burst (one socket's frames run in order, so they queue behind each other)
    // and a REST send alongside.
    const during = await Promise.all(Array.from({ length: 10 }, () => send(ws)));
    const restStarted = Date.now();
    const rest = await http.post(
      `/api/conversations/${conversationId}/messages`,
      { content: 'over REST', client_id: randomUUID() },
      alice.token,
    );
    const restMs = Date.now() - restStarted;
    const ready = await http.get('/readyz');

    for (const r of during) {
      expect(r.ms, `answer to ${r.clientId}`).toBeLessThan(2000);
      expect(r.frame.type).toBe('error');
      expect(r.frame.payload).toMatchObject({ code: 'unavailable', retry_after_ms: expect.any(Number) });
    }
    console.info(
      `db outage (${mode}): slowest WebSocket answer ${Math.max(...during.map((r) => r.ms))} ms, REST ${restMs} ms`,
    );
    expect(rest.status, rest.text).toBe(503);
    expect(rest.body.error.code).toBe('unavailable');
    expect(rest.headers.get('retry-after')).toBe('1');
    expect(restMs).toBeLessThan(2000);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe('unreachable');
    expect(node.running).toBe(true);

    proxy.restore();
    // No restart: the same process serves again once the database answers.
    await waitFor(async () => (await http.get('/readyz')).status === 200, 'readyz after restore', 10_000);
    // The client retries what failed, with the same client_ids: each is stored exactly once.
    const retried = await Promise.all(during.map((r) => send(ws, r.clientId)));
    for (const r of retried) expect(r.frame.type, JSON.stringify(r.frame)).toBe('message_ack');
    const after = await send(ws);
    expect(after.frame.type).toBe('message_ack');
    await ws.close();

    // Every ack names a stored row; nothing is stored twice; seqs have no gap.
    const rows = await storedMessages(db.url, conversationId);
    const byClient = new Map(rows.map((r) => [r.client_id, r]));
    expect(byClient.size).toBe(rows.length);
    for (const [clientId, ack] of acks) expect(byClient.get(clientId)).toMatchObject(ack);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    expect(node.running).toBe(true);
  }, 60_000);
});

it('the node logged no crash and kept one process through both outages', () => {
  expect(node.running).toBe(true);
  expect(node.output()).not.toMatch(/uncaught|unhandled/i);
});

it('a node started while PostgreSQL is unreachable waits for it, then serves', async () => {
  const url = new URL(db.url);
  const late = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${late.port}`;
  late.cut('reset');
  const starting = spawnNode({ DATABASE_URL: url.toString() });
  let started: Awaited<typeof starting> | undefined;
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    expect(late.connections).toBe(0);
    late.restore();
    started = await starting;
    const [carol] = await createUsers(httpClient(started.url), 1);
    expect(carol!.token).toEqual(expect.any(String));
  } finally {
    late.restore();
    await (started ?? (await starting.catch(() => undefined)))?.kill('SIGKILL');
    await late.close();
  }
}, 60_000);
