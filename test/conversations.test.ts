import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import {
  createDirect,
  createGroup,
  createUsers,
  listEntry,
  sendText,
  uniqueName,
  type TestUser,
} from './helpers/factories.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

const users = <N extends number>(n: N) => createUsers(s.http, n);

/** Conversation ids that both users are members of, of the given kind, straight from the database. */
async function sharedConversations(a: TestUser, b: TestUser, kind: 'direct' | 'group' = 'direct') {
  const { rows } = await s.ctx.db.query<{ id: string }>(
    `SELECT c.id FROM conversations c
       JOIN conversation_members x ON x.conversation_id = c.id AND x.user_id = $1
       JOIN conversation_members y ON y.conversation_id = c.id AND y.user_id = $2
      WHERE c.kind = $3`,
    [a.id, b.id, kind],
  );
  return rows.map((r) => r.id);
}

const roleOf = (conv: any, userId: string) => conv.members.find((m: any) => m.id === userId)?.role;

describe('one_to_one: get or create', () => {
  it('creates once (201), then returns the same conversation (200) to either side', async () => {
    const [a, b] = await users(2);
    const created = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [b.id] }, a.token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'one_to_one',
      title: null,
      last_message: null,
      last_seq: 0,
      unread_count: 0,
    });
    expect(created.body.members.map((m: any) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect(typeof created.body.created_at).toBe('string');

    const again = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [b.id] }, a.token);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);

    const reverse = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [a.id] }, b.token);
    expect(reverse.status).toBe(200);
    expect(reverse.body.id).toBe(created.body.id);

    expect(await sharedConversations(a, b)).toEqual([created.body.id]);
  });

  it('creates exactly one conversation when both sides race (10 parallel requests each)', async () => {
    const [a, b] = await users(2);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [b.id] }, a.token)
          : s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [a.id] }, b.token),
      ),
    );
    for (const r of results) expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(await sharedConversations(a, b)).toEqual([results[0]!.body.id]);
    const { rows } = await s.ctx.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM conversation_members WHERE conversation_id = $1',
      [results[0]!.body.id],
    );
    expect(rows[0]!.n).toBe(2);
  });

  it('names the other person by id in any letter case: still the same conversation', async () => {
    const [a, b] = await users(2);
    const id = await createDirect(s.http, a, b);
    const upper = await s.http.post(
      '/api/conversations',
      { type: 'one_to_one', member_ids: [b.id.toUpperCase()] },
      a.token,
    );
    expect(upper.status).toBe(200);
    expect(upper.body.id).toBe(id);
    expect(await sharedConversations(a, b)).toEqual([id]);
  });

  it('refuses a chat with oneself (400), however the id is written', async () => {
    const [a] = await users(1);
    for (const self of [a.id, a.id.toUpperCase()]) {
      const res = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [self] }, a.token);
      expect(res.status, self).toBe(400);
    }
    const { rows } = await s.ctx.db.query('SELECT 1 FROM conversation_members WHERE user_id = $1', [a.id]);
    expect(rows).toHaveLength(0);
  });

  it('answers an unknown user id with 404', async () => {
    const [a] = await users(1);
    const res = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: [randomUUID()] }, a.token);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    const bad = await s.http.post('/api/conversations', { type: 'one_to_one', member_ids: ['nope'] }, a.token);
    expect([400, 404]).toContain(bad.status);
  });

  it.each([
    ['two member ids', (a: string, b: string) => ({ type: 'one_to_one', member_ids: [a, b] })],
    ['no member ids', () => ({ type: 'one_to_one', member_ids: [] })],
    ['a missing member_ids', () => ({ type: 'one_to_one' })],
    ['a string as member_ids', (_a: string, b: string) => ({ type: 'one_to_one', member_ids: b })],
    ['an unknown type', (_a: string, b: string) => ({ type: 'channel', member_ids: [b] })],
    ['a missing type', (_a: string, b: string) => ({ member_ids: [b] })],
  ])('rejects %s with 400', async (_name, body) => {
    const [a, b, c] = await users(3);
    const res = await s.http.post('/api/conversations', body(b.id, c.id), a.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const [a] = await users(1);
    const res = await s.http.request('POST', '/api/conversations', { token: a.token, raw: '{"type":"one_to_one",' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

describe('group: create', () => {
  it('creates a group: 201, the creator is owner and the others members', async () => {
    const [owner, x, y] = await users(3);
    const res = await s.http.post(
      '/api/conversations',
      { type: 'group', title: 'Trip', member_ids: [x.id, y.id] },
      owner.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'group', title: 'Trip', last_message: null, last_seq: 0 });
    expect(res.body.members).toHaveLength(3);
    expect(roleOf(res.body, owner.id)).toBe('owner');
    expect(roleOf(res.body, x.id)).toBe('member');
    expect(roleOf(res.body, y.id)).toBe('member');
    for (const m of res.body.members) {
      const u = [owner, x, y].find((v) => v.id === m.id)!;
      expect(m).toMatchObject({ username: u.username, display_name: u.display_name });
    }
    const seen = await s.http.get(`/api/conversations/${res.body.id}`, x.token);
    expect(seen.status).toBe(200);
  });

  it('keeps the creator owner (and listed once) when they name themselves among the members', async () => {
    const [owner, x] = await users(2);
    const res = await s.http.post(
      '/api/conversations',
      { type: 'group', title: 'Self', member_ids: [owner.id, x.id] },
      owner.token,
    );
    expect(res.status).toBe(201);
    expect(res.body.members).toHaveLength(2);
    expect(roleOf(res.body, owner.id)).toBe('owner');
  });

  it('rejects unknown member ids with 400 and creates nothing', async () => {
    const [owner, x] = await users(2);
    const title = uniqueName('unknown');
    for (const bad of [randomUUID(), 'not-a-uuid']) {
      const res = await s.http.post(
        '/api/conversations',
        { type: 'group', title, member_ids: [x.id, bad] },
        owner.token,
      );
      expect(res.status).toBe(400);
    }
    const { rows } = await s.ctx.db.query('SELECT 1 FROM conversations WHERE title = $1', [title]);
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['a missing title', { type: 'group', member_ids: [] }],
    ['a blank title', { type: 'group', title: '   ', member_ids: [] }],
    ['a 101-character title', { type: 'group', title: 't'.repeat(101), member_ids: [] }],
    ['a number as title', { type: 'group', title: 5, member_ids: [] }],
    ['a string as member_ids', { type: 'group', title: 'x', member_ids: 'abc' }],
  ])('rejects %s with 400 validation_failed', async (_name, body) => {
    const [owner] = await users(1);
    const res = await s.http.post('/api/conversations', body, owner.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('GET /api/conversations', () => {
  it('lists the caller’s conversations, most recent activity first, with members, last message and counts', async () => {
    const [me, b, c] = await users(3);
    const c1 = await createDirect(s.http, me, b);
    const c2 = await createGroup(s.http, me, [b, c], 'Second');
    const c3 = await createDirect(s.http, me, c);
    const msg = await sendText(s.http, b, c1, 'hello from b');

    const res = await s.http.get('/api/conversations', me.token);
    expect(res.status).toBe(200);
    const list = res.body.conversations as any[];
    expect(list.map((x) => x.id)).toEqual([c1, c3, c2]);

    const first = list[0];
    expect(first).toMatchObject({
      id: c1,
      type: 'one_to_one',
      title: null,
      last_seq: 1,
      unread_count: 1,
      last_message: {
        id: msg.id,
        conversation_id: c1,
        seq: 1,
        sender_id: b.id,
        content: 'hello from b',
        message_type: 'text',
      },
    });
    expect(typeof first.created_at).toBe('string');
    for (const m of first.members)
      expect(Object.keys(m)).toEqual(expect.arrayContaining(['id', 'username', 'display_name', 'role']));
    expect(list[1]).toMatchObject({ id: c3, last_message: null, last_seq: 0, unread_count: 0 });
    expect(list[2]).toMatchObject({ id: c2, type: 'group', title: 'Second', last_message: null });
    expect(list[2].members.map((m: any) => m.id).sort()).toEqual([me.id, b.id, c.id].sort());

    // Activity in the oldest conversation moves it to the top.
    await sendText(s.http, me, c2, 'bump');
    const after = await s.http.get('/api/conversations', me.token);
    expect(after.body.conversations.map((x: any) => x.id)).toEqual([c2, c1, c3]);

    // Only the caller's conversations.
    const cList = (await s.http.get('/api/conversations', c.token)).body.conversations.map((x: any) => x.id);
    expect(cList.sort()).toEqual([c2, c3].sort());
  });

  it('costs the same number of SQL statements for 2 conversations as for 30 (no N+1)', async () => {
    const [me, peer] = await users(2);
    const open = async (i: number) => {
      const id = await createGroup(s.http, me, [peer], `n+1 ${i}`);
      await sendText(s.http, peer, id, `message ${i}`);
    };
    // The counter is the process's: a background pass (search words every second, the job
    // queue's poll) that runs during a request adds its statements, never removes any. The
    // fewest over six requests is the request's own (three once had a background pass in each).
    const measure = async () => {
      let spent = Infinity;
      let list: any[] = [];
      for (let i = 0; i < 6; i++) {
        const before = s.ctx.db.stats.queries;
        const res = await s.http.get('/api/conversations', me.token);
        spent = Math.min(spent, s.ctx.db.stats.queries - before);
        expect(res.status).toBe(200);
        list = res.body.conversations;
      }
      return { spent, list };
    };

    for (let i = 0; i < 2; i++) await open(i);
    const small = await measure();
    expect(small.list).toHaveLength(2);

    for (let i = 2; i < 30; i++) await open(i);
    const large = await measure();
    expect(large.list).toHaveLength(30);
    expect(large.list.every((c) => c.last_message !== null && c.unread_count === 1 && c.members.length === 2)).toBe(
      true,
    );
    expect(large.spent).toBe(small.spent);
  });

  it('answers 401 without a token', async () => {
    const res = await s.http.get('/api/conversations');
    expect(res.status).toBe(401);
  });
});

describe('GET /api/conversations/:id', () => {
  it('returns one conversation as the list shows it', async () => {
    const [a, b] = await users(2);
    const id = await createGroup(s.http, a, [b], 'One');
    await sendText(s.http, a, id, 'hi');
    const res = await s.http.get(`/api/conversations/${id}`, b.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(await listEntry(s.http, b, id));
    expect(res.body).toMatchObject({ id, type: 'group', title: 'One', last_seq: 1, unread_count: 1 });
  });
});
