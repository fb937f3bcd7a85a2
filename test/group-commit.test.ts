import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createGroup, createUsers } from './helpers/factories.js';

// Group commit (server/messages/batcher.ts): concurrent sends share a transaction, and each
// still gets exactly its own answer.
let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

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
