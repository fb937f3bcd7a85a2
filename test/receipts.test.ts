import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers } from './helpers/factories.js';
import { WsClient } from './helpers/ws.js';
import { ReceiptBatcher } from '../server/messages/receipts.js';

// Group commit for receipts (server/messages/receipts.ts): receipts that arrive together share
// one statement, each still gets its own right answer, and members hear of each move once.
let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

it('receipts that arrive together: merged per member, each answered, a stranger refused alone', async () => {
  const [alice, bob, carol, mallory] = await createUsers(s.http, 4);
  const group = await createGroup(s.http, alice, [bob, carol]);
  for (let i = 1; i <= 6; i++) {
    const res = await s.http.post(
      `/api/conversations/${group}/messages`,
      { content: `m${i}`, client_id: `c${i}` },
      alice.token,
    );
    expect(res.status).toBe(201);
  }
  const a = await WsClient.connect(s.base, alice.token);
  try {
    // Straight to a batcher: the first receipt runs alone, the rest wait and share one batch.
    const batcher = new ReceiptBatcher(s.ctx);
    const first = batcher.advance(bob.id, group, 1, 'delivered');
    const rest = [
      batcher.advance(bob.id, group, 4, 'delivered'),
      batcher.advance(bob.id, group, 3, 'read'),
      batcher.advance(bob.id, group, 2, 'delivered'), // behind the others: moves nothing by itself
      batcher.advance(carol.id, group, 99, 'read'), // past the last message: stops at 6
      batcher.advance(mallory.id, group, 6, 'read'), // not a member
    ];
    expect(await first).toEqual({ conversation_id: group, user_id: bob.id, delivered_seq: 1, read_seq: 0 });
    const results = await Promise.allSettled(rest);
    const bobNow = { conversation_id: group, user_id: bob.id, delivered_seq: 4, read_seq: 3 };
    expect(results.slice(0, 3)).toEqual([0, 1, 2].map(() => ({ status: 'fulfilled', value: bobNow })));
    expect(results[3]).toEqual({
      status: 'fulfilled',
      value: { conversation_id: group, user_id: carol.id, delivered_seq: 6, read_seq: 6 },
    });
    expect(results[4]).toMatchObject({ status: 'rejected', reason: { code: 'not_found' } });

    const { rows } = await s.ctx.db.query<{ user_id: string; last_delivered_seq: number; last_read_seq: number }>(
      `SELECT user_id, last_delivered_seq, last_read_seq FROM conversation_members
        WHERE conversation_id = $1 AND user_id = ANY($2::uuid[]) ORDER BY last_read_seq`,
      [group, [bob.id, carol.id]],
    );
    expect(rows).toEqual([
      { user_id: bob.id, last_delivered_seq: 4, last_read_seq: 3 },
      { user_id: carol.id, last_delivered_seq: 6, last_read_seq: 6 },
    ]);
    // Bob's three receipts of the batch were one move: members heard of it once.
    await a.waitForType('receipt_update', (p) => p.user_id === carol.id);
    await a.waitForType('receipt_update', (p) => p.user_id === bob.id && p.read_seq === 3);
    const heard = a.ofType('receipt_update').map((f) => f.payload);
    expect(heard.filter((p) => p.user_id === bob.id)).toEqual([
      { conversation_id: group, user_id: bob.id, delivered_seq: 1, read_seq: 0 },
      bobNow,
    ]);
    expect(heard.filter((p) => p.user_id === mallory.id)).toEqual([]);

    // A receipt that moves nothing is answered with where the watermarks are, and announced to nobody.
    expect(await batcher.advance(bob.id, group, 2, 'read')).toEqual(bobNow);
    await a.request('ping', {});
    expect(a.ofType('receipt_update').filter((f) => f.payload.user_id === bob.id)).toHaveLength(2);
  } finally {
    await a.close();
  }
});
