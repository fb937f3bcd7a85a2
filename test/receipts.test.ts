import pg from 'pg';
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

/** Backends of the test's database waiting for a lock. */
const lockWaiters = () =>
  s.ctx.db
    .query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
    .then((r) => r.rows[0]!.n);

/** A promise (`opened`) and what resolves it (`open`). */
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

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

it("a receipt batch and a send batch on another node that both move one member's rows never deadlock", async () => {
  const [alice, bob] = await createUsers(s.http, 2);
  const [c0, c1, c2] = await Promise.all([0, 1, 2].map(() => createGroup(s.http, alice, [bob])));
  const [first, second] = [c1!, c2!].sort() as [string, string];
  for (const c of [c0, c1, c2]) {
    const res = await s.http.post(
      `/api/conversations/${c}/messages`,
      { content: 'hi', client_id: `hi-${c}` },
      alice.token,
    );
    expect(res.status).toBe(201);
  }
  // Another node's send batch: it locks both conversations (in id order) and moves bob's row in
  // the second (bob sent there); later it moves bob's row in the first (bob sent there too).
  const [told, held] = [gate(), gate()];
  const other = s.ctx.db.transaction(async (tx) => {
    await tx.query('SELECT id FROM conversations WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [[first, second]]);
    const mark = (c: string) =>
      tx.query(
        'UPDATE conversation_members SET last_read_seq = last_read_seq WHERE conversation_id = $1 AND user_id = $2',
        [c, bob.id],
      );
    await mark(second);
    held.open();
    await told.opened;
    await mark(first);
  });
  await held.opened;
  // Bob's receipts for both conversations, in one batch (the first receipt runs alone).
  const batcher = new ReceiptBatcher(s.ctx);
  const lone = batcher.advance(bob.id, c0!, 1, 'read');
  const both = [first, second].map((c) => batcher.advance(bob.id, c, 1, 'read'));
  await lone;
  await expect.poll(lockWaiters, { timeout: 10_000, interval: 20 }).toBe(1);
  // The send batch goes on: the receipts wait for it instead of holding a row it needs.
  told.open();
  await other;
  const receipts = await Promise.all(both);
  expect(receipts.map((r) => [r.delivered_seq, r.read_seq])).toEqual([
    [1, 1],
    [1, 1],
  ]);
});

it('a receipt batch that PostgreSQL ends as a deadlock victim runs again, and every receipt is answered', async () => {
  const [alice, bob, carol] = await createUsers(s.http, 3);
  const group = await createGroup(s.http, alice, [bob, carol]);
  const res = await s.http.post(
    `/api/conversations/${group}/messages`,
    { content: 'hi', client_id: 'hi' },
    alice.token,
  );
  expect(res.status).toBe(201);
  const [lower, higher] = [bob.id, carol.id].sort() as [string, string];
  // A transaction that moves two members' rows without locking the conversation first: it
  // holds the row the batch moves second, then asks for the one the batch moved first.
  // On a connection of its own, as another node's would be: it waits for the batch about a
  // second, longer than the app's statement timeout allows on a loaded machine.
  const [told, held] = [gate(), gate()];
  const tx = new pg.Client({ connectionString: s.config.DATABASE_URL });
  await tx.connect();
  const touch = (userId: string) =>
    tx.query('UPDATE conversation_members SET role = role WHERE conversation_id = $1 AND user_id = $2', [
      group,
      userId,
    ]);
  const other = (async () => {
    await tx.query('BEGIN');
    // PostgreSQL ends the transaction that checks first: the batch (1 s), not this one (10 s).
    await tx.query("SET LOCAL deadlock_timeout = '10s'");
    await touch(higher);
    held.open();
    await told.opened;
    await touch(lower);
    await tx.query('COMMIT');
  })().finally(() => tx.end());
  await held.opened;
  const batcher = new ReceiptBatcher(s.ctx);
  const lone = batcher.advance(alice.id, group, 1, 'read');
  const both = [lower, higher].map((u) => batcher.advance(u, group, 1, 'read'));
  await lone;
  await expect.poll(lockWaiters, { timeout: 10_000, interval: 20 }).toBe(1);
  // The cycle: PostgreSQL ends the batch, which runs again once the other transaction, now
  // free to go on, has committed.
  told.open();
  await other;
  const receipts = await Promise.all(both);
  expect(receipts.map((r) => [r.user_id, r.delivered_seq, r.read_seq])).toEqual([
    [lower, 1, 1],
    [higher, 1, 1],
  ]);
});
