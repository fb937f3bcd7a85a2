import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createUser } from '../helpers/factories.js';
import { settle, WsClient } from '../helpers/ws.js';

// The realtime guarantees again, on the embedded PGlite database a new user starts with.
let s: TestServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chatify-embedded-'));
  s = await startServer({ DATA_DIR: dir, WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' });
  expect(s.ctx.db.kind).toBe('pglite');
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('realtime on the embedded database', () => {
  it('two users on two devices each: acks, fan-out, one order, idempotent retries, receipts, presence, catch-up', async () => {
    const [alice, bob] = [await createUser(s.http), await createUser(s.http)];
    const conversationId = await createDirect(s.http, alice, bob);
    const [a1, a2, b1] = await Promise.all([
      WsClient.connect(s.base, alice.token),
      WsClient.connect(s.base, alice.token),
      WsClient.connect(s.base, bob.token),
    ]);
    await a1.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'online');

    // Interleaved sends from both sides, plus a retry storm of one client_id.
    const retried = { conversation_id: conversationId, content: 'retried', client_id: randomUUID() };
    const sends = [];
    for (let i = 0; i < 20; i++) {
      sends.push(
        a1.request('chat_message', { conversation_id: conversationId, content: `a${i}`, client_id: randomUUID() }),
      );
      sends.push(
        b1.request('chat_message', { conversation_id: conversationId, content: `b${i}`, client_id: randomUUID() }),
      );
      if (i < 5) sends.push(a2.request('chat_message', retried));
    }
    const acks = await Promise.all(sends);
    expect(acks.every((f) => f.type === 'message_ack')).toBe(true);
    const retryAcks = acks.filter((f) => f.payload.client_id === retried.client_id);
    expect(new Set(retryAcks.map((f) => f.payload.id)).size).toBe(1);

    for (let n = 0; n < 100 && a2.ofType('new_message').length < 41; n++) await settle(20);
    const expected = Array.from({ length: 41 }, (_, i) => i + 1);
    for (const c of [a1, a2, b1]) expect(c.ofType('new_message').map((f) => f.payload.seq)).toEqual(expected);

    // Bob's own messages already count as read by him, so the message he reads is Alice's,
    // sent after the storm (which of them stored the 41st depends on batching).
    await a1.request('chat_message', { conversation_id: conversationId, content: 'last', client_id: randomUUID() });
    b1.send('read_receipt', { conversation_id: conversationId, seq: 42 });
    const receipt = await a1.waitForType('receipt_update', (p) => p.user_id === bob.id);
    expect(receipt.payload).toMatchObject({ read_seq: 42, delivered_seq: 42 });

    // Bob goes offline, misses three messages, comes back and catches up.
    await b1.close();
    await a1.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'offline');
    for (const text of ['x', 'y', 'z']) {
      await a1.request('chat_message', { conversation_id: conversationId, content: text, client_id: randomUUID() });
    }
    const b2 = await WsClient.connect(s.base, bob.token);
    const sync = await b2.request('sync', { conversations: [{ conversation_id: conversationId, after_seq: 42 }] });
    expect(sync.payload.conversations[0].messages.map((m: any) => m.content)).toEqual(['x', 'y', 'z']);

    const list = await s.http.get('/api/conversations', bob.token);
    expect(list.body.conversations[0]).toMatchObject({ id: conversationId, last_seq: 45, unread_count: 3 });
    await Promise.all([a1.close(), a2.close(), b2.close()]);
  });
});
