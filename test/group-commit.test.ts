import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createGroup, createUsers } from './helpers/factories.js';
import { WsClient } from './helpers/ws.js';
import { SendBatcher, type SendInput, type SendResult } from '../server/messages/batcher.js';

// Group commit (server/messages/batcher.ts): concurrent sends share a transaction, and each
// still gets exactly its own answer.
let s: TestServer;
beforeAll(async () => {
  // A burst bigger than the per-user send burst allowed by default.
  s = await startServer({ WS_SEND_BURST: '1000' });
});
afterAll(() => s?.close());

it('the send statement is ready on its connections before the first send', async () => {
  // SendBatcher.warm at start: as many connections as batches may use at once have run it.
  const { rows } = await s.ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE 'WITH input AS MATERIALIZED%'`,
  );
  expect(rows[0]!.n).toBe(2);
});

it('a burst mixing conversations, repeats and a stranger: each send gets its own right answer', async () => {
  const [alice, bob, carol, mallory] = await createUsers(s.http, 4);
  const direct = await createDirect(s.http, alice, bob);
  const group = await createGroup(s.http, alice, [bob, carol]);
  const send = (token: string, conversationId: string, clientId: string, content = clientId) =>
    s.http.post(`/api/conversations/${conversationId}/messages`, { content, client_id: clientId }, token);

  const repeated = randomUUID();
  const plan = [
    ...Array.from({ length: 20 }, (_, i) => [alice.token, direct, `d-a-${i}`] as const),
    ...Array.from({ length: 20 }, (_, i) => [bob.token, direct, `d-b-${i}`] as const),
    ...Array.from({ length: 20 }, (_, i) => [carol.token, group, `g-c-${i}`] as const),
    ...Array.from({ length: 5 }, () => [alice.token, group, repeated] as const),
    ...Array.from({ length: 5 }, (_, i) => [mallory.token, group, `m-${i}`] as const),
  ];
  const before = s.ctx.db.stats.queries;
  const answers = await Promise.all(plan.map(([token, conv, id]) => send(token, conv, id)));
  const statements = s.ctx.db.stats.queries - before;

  answers.forEach((res, i) => {
    const [token, conv, id] = plan[i]!;
    if (token === mallory.token) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      return;
    }
    expect([200, 201], res.text).toContain(res.status);
    expect(res.body).toMatchObject({ conversation_id: conv, client_id: id, content: id });
  });
  // The five repeats are one message: one 201, four 200s with the same id.
  const repeats = answers.filter((_, i) => plan[i]![2] === repeated);
  expect(repeats.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
  expect(new Set(repeats.map((r) => r.body.id)).size).toBe(1);

  // Gapless seqs per conversation, and nothing from the stranger.
  for (const [conv, count] of [
    [direct, 40],
    [group, 21],
  ] as const) {
    const res = await s.http.get(`/api/conversations/${conv}/messages?after_seq=0&limit=100`, alice.token);
    expect(res.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(res.body.messages.some((m: any) => m.content.startsWith('m-'))).toBe(false);
  }
  // Fewer statements than one transaction per send would take (6 each): sends were batched.
  expect(statements).toBeLessThan(plan.length * 6);
});

it('one socket sending without waiting for acks: stored in the order sent, batched, each acked once', async () => {
  const [alice, bob, mallory] = await createUsers(s.http, 3);
  const direct = await createDirect(s.http, alice, bob);
  const group = await createGroup(s.http, alice, [bob]);
  const strangers = await createDirect(s.http, mallory, bob);
  const first = await s.http.post(
    `/api/conversations/${direct}/messages`,
    { content: 'first', client_id: 'first' },
    alice.token,
  );
  const a = await WsClient.connect(s.base, alice.token);
  const b = await WsClient.connect(s.base, bob.token);
  try {
    // 60 sends back to back: two conversations interleaved, a reply (checked before it is
    // queued), a conversation alice is not in, and a frame that fails validation.
    type Sent = { conversation: string; clientId: string; ok: boolean };
    const sent: Sent[] = [];
    const before = s.ctx.db.stats.queries;
    for (let i = 0; i < 60; i++) {
      const clientId = `p-${i}`;
      if (i === 20) {
        a.send('chat_message', { conversation_id: strangers, content: clientId, client_id: clientId });
        sent.push({ conversation: strangers, clientId, ok: false });
      } else if (i === 30) {
        a.send('chat_message', { conversation_id: direct, content: '', client_id: clientId });
        sent.push({ conversation: direct, clientId, ok: false });
      } else {
        const conversation = i % 3 === 0 ? group : direct;
        const reply = i === 40 ? { reply_to: first.body.id } : {};
        a.send('chat_message', { conversation_id: conversation, content: clientId, client_id: clientId, ...reply });
        sent.push({ conversation, clientId, ok: true });
      }
    }
    const answers = await Promise.all(
      sent.map((x) =>
        a.waitFor(
          (f) =>
            (f.type === 'message_ack' && f.payload.client_id === x.clientId) ||
            (f.type === 'error' && f.payload.ref === x.clientId),
        ),
      ),
    );
    answers.forEach((f, i) => expect(f.type, JSON.stringify(f)).toBe(sent[i]!.ok ? 'message_ack' : 'error'));
    expect(answers[20]!.payload.code).toBe('not_found');
    expect(answers[30]!.payload.code).toBe('validation_failed');
    // Fewer statements than sends: a socket's sends share batches.
    expect(s.ctx.db.stats.queries - before).toBeLessThan(57);

    // Per conversation, seqs follow the sending order with no gap, in storage and on the wire.
    for (const [conversation, firstSeq] of [
      [direct, 2],
      [group, 1],
    ] as const) {
      const expected = sent.filter((x) => x.ok && x.conversation === conversation).map((x) => x.clientId);
      const acked = answers
        .filter((f, i) => sent[i]!.ok && sent[i]!.conversation === conversation)
        .map((f) => [f.payload.client_id, f.payload.seq]);
      expect(acked).toEqual(expected.map((id, n) => [id, firstSeq + n]));
      const res = await s.http.get(`/api/conversations/${conversation}/messages?after_seq=0&limit=100`, bob.token);
      expect(res.body.messages.slice(firstSeq - 1).map((m: any) => m.content)).toEqual(expected);
      await b.waitFor((f) => f.type === 'new_message' && f.payload.client_id === expected.at(-1));
      const live = b.ofType('new_message').filter((f) => f.payload.conversation_id === conversation);
      expect(live.map((f) => f.payload.seq)).toEqual(expected.map((_, n) => firstSeq + n));
    }
    // Ids are time-ordered (UUIDv7): in a conversation they sort as the seqs do.
    const ids = answers.filter((f) => f.type === 'message_ack').map((f) => f.payload.id as string);
    expect(ids.every((id) => id[14] === '7')).toBe(true);
    const directIds = answers
      .filter((f, i) => sent[i]!.ok && sent[i]!.conversation === direct)
      .map((f) => f.payload.id);
    expect([...directIds].sort()).toEqual(directIds);
    const reply = answers[40]!.payload;
    const stored = await s.http.get(
      `/api/conversations/${direct}/messages?after_seq=${reply.seq - 1}&limit=1`,
      bob.token,
    );
    expect(stored.body.messages[0]).toMatchObject({
      client_id: 'p-40',
      reply_to: { id: first.body.id, content: 'first' },
    });
  } finally {
    await a.close();
    await b.close();
  }
});

it('many sockets over many conversations at once: every conversation stored whole, in the order sent, delivered to its members only', async () => {
  // Enough sends waiting that a second batch runs beside the first (PARALLEL_MIN): the two
  // never share a conversation, and each conversation's seqs follow its sender's order. The
  // conversations are new to the node, so a batch reads the members of several at once.
  const users = await createUsers(s.http, 24);
  const pairs = Array.from({ length: 12 }, (_, i) => [users[2 * i]!, users[2 * i + 1]!] as const);
  const conversations = await Promise.all(pairs.map(([x, y]) => createDirect(s.http, x, y)));
  const sockets = await Promise.all(pairs.map(([x]) => WsClient.connect(s.base, x.token)));
  const receivers = await Promise.all(pairs.map(([, y]) => WsClient.connect(s.base, y.token)));
  try {
    const perSocket = 15;
    sockets.forEach((ws, p) => {
      for (let i = 0; i < perSocket; i++) {
        ws.send('chat_message', { conversation_id: conversations[p], content: `m-${i}`, client_id: `m-${p}-${i}` });
      }
    });
    await Promise.all(
      sockets.map(async (ws, p) => {
        const acks = await Promise.all(
          Array.from({ length: perSocket }, (_, i) =>
            ws.waitFor((f) => f.type === 'message_ack' && f.payload.client_id === `m-${p}-${i}`),
          ),
        );
        expect(acks.map((f) => f.payload.seq)).toEqual(Array.from({ length: perSocket }, (_, i) => i + 1));
        const res = await s.http.get(
          `/api/conversations/${conversations[p]}/messages?after_seq=0&limit=100`,
          pairs[p]![1].token,
        );
        expect(res.body.messages.map((m: any) => m.content)).toEqual(
          Array.from({ length: perSocket }, (_, i) => `m-${i}`),
        );
        // The receiver gets its conversation's messages, in order, and no one else's.
        await receivers[p]!.waitFor(
          (f) => f.type === 'new_message' && f.payload.client_id === `m-${p}-${perSocket - 1}`,
        );
        expect(receivers[p]!.ofType('new_message').map((f) => [f.payload.conversation_id, f.payload.content])).toEqual(
          Array.from({ length: perSocket }, (_, i) => [conversations[p], `m-${i}`]),
        );
      }),
    );
  } finally {
    [...sockets, ...receivers].forEach((ws) => ws.close());
  }
});

it('an upload that vanished before its batch fails only the send attaching it, not the batch', async () => {
  const [alice, bob] = await createUsers(s.http, 2);
  const direct = await createDirect(s.http, alice, bob);
  const group = await createGroup(s.http, alice, [bob]);
  // Straight to a batcher: the route checks the upload first, and the race is an upload
  // deleted after that check (its message deleted for everyone, or housekeeping).
  const batcher = new SendBatcher(s.ctx);
  const input = (conversationId: string, content: string, attachmentId?: string): SendInput => ({
    senderId: alice.id,
    conversationId,
    content,
    messageType: attachmentId ? 'file' : 'text',
    clientId: randomUUID(),
    attachmentId,
  });
  // The first send runs alone; the next two wait and then share one batch.
  const first = batcher.send(input(group, 'first'));
  const good = batcher.send(input(direct, 'good'));
  const orphan = batcher.send(input(direct, 'orphan', randomUUID()));
  await first;
  const [stored, refused] = await Promise.allSettled([good, orphan]);
  expect(stored.status).toBe('fulfilled');
  expect((stored as PromiseFulfilledResult<SendResult>).value.message).toMatchObject({ content: 'good', seq: 1 });
  expect(refused.status).toBe('rejected');
  expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'validation_failed' });
  const history = await s.http.get(`/api/conversations/${direct}/messages`, alice.token);
  expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual(['good']);
});

it("one client_id sent to two conversations in one batch: never acked with the other conversation's message", async () => {
  const [alice, bob, carol] = await createUsers(s.http, 3);
  const direct = await createDirect(s.http, alice, bob);
  const group = await createGroup(s.http, alice, [bob]);
  const strangers = await createDirect(s.http, bob, carol); // alice is not a member
  const batcher = new SendBatcher(s.ctx);
  const send = (conversationId: string, clientId: string, content: string) =>
    batcher.send({ senderId: alice.id, conversationId, content, messageType: 'text', clientId });
  const settle = (ps: Promise<SendResult>[]) => Promise.allSettled(ps);
  const reason = (r?: PromiseSettledResult<SendResult>) => (r as PromiseRejectedResult).reason;
  const value = (r?: PromiseSettledResult<SendResult>) => (r as PromiseFulfilledResult<SendResult>).value;

  // The first send runs alone; the others wait and then share one batch.
  const first = send(group, randomUUID(), 'first');
  const x = randomUUID();
  const y = randomUUID();
  const [stored, again, elsewhere, refused, storedAfter, later] = await settle([
    send(direct, x, 'to direct'),
    send(direct, x, 'to direct, again'),
    send(group, x, 'to the group, same client_id'),
    send(strangers, y, 'to strangers'),
    send(direct, y, 'to direct after a refused one'),
    send(direct, randomUUID(), 'and a later one'),
  ]);
  await first;
  // x: stored once in direct; its repeat answered with it; the group's send refused as a
  // client_id used in another conversation, not acked with direct's message.
  expect(value(stored)).toMatchObject({ created: true, message: { conversation_id: direct, content: 'to direct' } });
  expect(value(again)).toMatchObject({ created: false, message: { id: value(stored).message.id } });
  expect(reason(elsewhere)).toMatchObject({ code: 'conflict' });
  // y: refused where alice is not a member, then stored where she is, on its own.
  expect(reason(refused)).toMatchObject({ code: 'not_found' });
  expect(value(storedAfter)).toMatchObject({
    created: true,
    message: { conversation_id: direct, client_id: y, content: 'to direct after a refused one' },
  });
  // Direct's sends in the order sent, the one that waited for its own batch included.
  expect(value(later).message.seq).toBe(3);
  const history = await s.http.get(`/api/conversations/${direct}/messages`, alice.token);
  // (Newest first.)
  expect(history.body.messages.map((m: { seq: number; content: string }) => [m.seq, m.content])).toEqual([
    [3, 'and a later one'],
    [2, 'to direct after a refused one'],
    [1, 'to direct'],
  ]);
  const groupHistory = await s.http.get(`/api/conversations/${group}/messages`, alice.token);
  expect(groupHistory.body.messages.map((m: { content: string }) => m.content)).toEqual(['first']);
});

it('a batch that keeps losing to other writers answers "unavailable", stores nothing, and the same send goes through later', async () => {
  const [alice, bob] = await createUsers(s.http, 2);
  const direct = await createDirect(s.http, alice, bob);
  // Every run of the statement for this conversation fails as a serialization failure would
  // (a change of members each time): a trigger in this test's own database, dropped after.
  const fn = `always_busy_${randomUUID().replace(/-/g, '')}`;
  await s.ctx.db.query(
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = 'serialization_failure'; END $$`,
  );
  await s.ctx.db.query(
    `CREATE TRIGGER ${fn} BEFORE INSERT ON messages FOR EACH ROW
       WHEN (NEW.conversation_id = '${direct}'::uuid) EXECUTE FUNCTION ${fn}()`,
  );
  const send = () =>
    s.http.post(`/api/conversations/${direct}/messages`, { content: 'hi', client_id: 'c-1' }, alice.token);
  try {
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/send it again/) });
  } finally {
    await s.ctx.db.query(`DROP TRIGGER ${fn} ON messages`);
    await s.ctx.db.query(`DROP FUNCTION ${fn}()`);
  }
  const history = await s.http.get(`/api/conversations/${direct}/messages`, alice.token);
  expect(history.body.messages).toEqual([]);
  const stored = await send();
  expect(stored.status).toBe(201);
  expect(stored.body).toMatchObject({ content: 'hi', seq: 1 });
});

it("a batch that waits for another node's lock on a conversation numbers its sends after that node's", async () => {
  const [alice, bob] = await createUsers(s.http, 2);
  const direct = await createDirect(s.http, alice, bob);
  const group = await createGroup(s.http, alice, [bob]);
  const batcher = new SendBatcher(s.ctx);
  const input = (conversationId: string, content: string): SendInput => ({
    senderId: alice.id,
    conversationId,
    content,
    messageType: 'text',
    clientId: randomUUID(),
  });
  // Another node's batch: it has locked the direct conversation and stored seq 1, and commits
  // only when told. The batch below starts before that commit, so its snapshot holds last_seq 0.
  let commit!: () => void;
  const told = new Promise<void>((resolve) => (commit = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const other = s.ctx.db.transaction(async (tx) => {
    await tx.query('UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now() WHERE id = $1', [direct]);
    await tx.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body) VALUES ($1, 1, $2, $3, 'other node')`,
      [direct, bob.id, randomUUID()],
    );
    holding();
    await told;
  });
  await held;
  // The first send runs alone; the next three then share one batch, which waits for the lock:
  // two sends of the locked conversation (the second finds its row locked by its own batch).
  const first = batcher.send(input(group, 'g1'));
  const sends = [input(direct, 'a'), input(direct, 'b'), input(group, 'g2')].map((i) => batcher.send(i));
  await first;
  const waiting = () =>
    s.ctx.db
      .query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH input AS MATERIALIZED%'`,
      )
      .then((r) => r.rows[0]!.n);
  await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(1);
  commit();
  await other;
  const results = await Promise.all(sends);
  expect(results.map((r) => [r.message.content, r.message.seq])).toEqual([
    ['a', 2],
    ['b', 3],
    ['g2', 2],
  ]);
  const history = await s.http.get(`/api/conversations/${direct}/messages?after_seq=0`, alice.token);
  expect(history.body.messages.map((m: { content: string; seq: number }) => [m.content, m.seq])).toEqual([
    ['other node', 1],
    ['a', 2],
    ['b', 3],
  ]);
  const { rows } = await s.ctx.db.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = $1', [
    direct,
  ]);
  expect(rows[0]!.last_seq).toBe(3);
});

it("named statements (the send batch's) reach PostgreSQL prepared, on the connections that plan them generically", async () => {
  // Through the app's own database (metrics wrapper included): a wrapper that dropped the name
  // would have every batch parsed and planned again, a fifth of PostgreSQL's time per send.
  const probe = (name: string, batch: boolean) =>
    s.ctx.db.query<{ name: string; mode: string }>(
      `SELECT name, current_setting('plan_cache_mode') AS mode FROM pg_prepared_statements WHERE name = '${name}'`,
      [],
      { name, batch },
    );
  expect((await probe('prepared_batch_probe', true)).rows).toEqual([
    { name: 'prepared_batch_probe', mode: 'force_generic_plan' },
  ]);
  // Without `batch` (history pages): prepared on a connection of the main pool, planned by
  // PostgreSQL's own rule (custom plans first, then the generic one when it is no worse).
  expect((await probe('prepared_probe', false)).rows).toEqual([{ name: 'prepared_probe', mode: 'auto' }]);
});
