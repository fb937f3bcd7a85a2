import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import {
  createDirect,
  createGroup,
  createUser,
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

type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [T, ...R]>;
const users = <N extends number>(n: N) =>
  Promise.all(Array.from({ length: n }, () => createUser(s.http))) as Promise<Tuple<TestUser, N>>;

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
    const measure = async () => {
      const before = s.ctx.db.stats.queries;
      const res = await s.http.get('/api/conversations', me.token);
      const spent = s.ctx.db.stats.queries - before;
      expect(res.status).toBe(200);
      return { spent, list: res.body.conversations as any[] };
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

describe('group management', () => {
  let owner: TestUser, admin: TestUser, member: TestUser, spare: TestUser;
  let group: string;
  beforeAll(async () => {
    [owner, admin, member, spare] = await users(4);
    group = await createGroup(s.http, owner, [admin, member], 'Managed');
    const promoted = await s.http.patch(
      `/api/conversations/${group}/members/${admin.id}`,
      { role: 'admin' },
      owner.token,
    );
    expect(promoted.status).toBe(200);
    expect(roleOf(promoted.body, admin.id)).toBe('admin');
  });

  it('owner and admin rename the group; a member gets 403 and the title stays', async () => {
    const byOwner = await s.http.patch(`/api/conversations/${group}`, { title: 'Renamed' }, owner.token);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.title).toBe('Renamed');
    const byAdmin = await s.http.patch(`/api/conversations/${group}`, { title: 'Admin named' }, admin.token);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.title).toBe('Admin named');
    const byMember = await s.http.patch(`/api/conversations/${group}`, { title: 'Member named' }, member.token);
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('forbidden');
    expect((await s.http.get(`/api/conversations/${group}`, member.token)).body.title).toBe('Admin named');
  });

  it('a one_to_one cannot be renamed (403)', async () => {
    const direct = await createDirect(s.http, owner, spare);
    const res = await s.http.patch(`/api/conversations/${direct}`, { title: 'Nope' }, owner.token);
    expect(res.status).toBe(403);
    expect((await s.http.get(`/api/conversations/${direct}`, owner.token)).body.title).toBeNull();
  });

  it.each([
    ['a blank title', { title: '  ' }],
    ['a missing title', {}],
    ['a number as title', { title: 3 }],
  ])('rename rejects %s with 400', async (_name, body) => {
    const res = await s.http.patch(`/api/conversations/${group}`, body, owner.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('owner and admin add members, who start with nothing unread; a member gets 403', async () => {
    const [x, y, z] = await users(3);
    const g = await createGroup(s.http, owner, [admin, member], 'Adding');
    await s.http.patch(`/api/conversations/${g}/members/${admin.id}`, { role: 'admin' }, owner.token);
    await sendText(s.http, member, g, 'one');
    await sendText(s.http, member, g, 'two');

    const byOwner = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [x.id] }, owner.token);
    expect(byOwner.status).toBe(200);
    expect(roleOf(byOwner.body, x.id)).toBe('member');
    const byAdmin = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [y.id] }, admin.token);
    expect(byAdmin.status).toBe(200);
    expect(roleOf(byAdmin.body, y.id)).toBe('member');
    const byMember = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [z.id] }, member.token);
    expect(byMember.status).toBe(403);
    expect((await s.http.get(`/api/conversations/${g}`, z.token)).status).toBe(404);

    for (const u of [x, y]) {
      const entry = await listEntry(s.http, u, g);
      expect(entry).toMatchObject({ last_seq: 2, unread_count: 0 });
    }
    // A message after they joined is unread for them.
    await sendText(s.http, member, g, 'three');
    expect((await listEntry(s.http, x, g)).unread_count).toBe(1);
  });

  it('adding rejects unknown user ids (400) and bad bodies (400)', async () => {
    const before = (await s.http.get(`/api/conversations/${group}`, owner.token)).body.members.length;
    for (const body of [{ user_ids: [randomUUID()] }, { user_ids: ['nope'] }, { user_ids: [] }, {}]) {
      const res = await s.http.post(`/api/conversations/${group}/members`, body, owner.token);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await s.http.get(`/api/conversations/${group}`, owner.token)).body.members).toHaveLength(before);
  });

  it('only the owner changes roles; admins and members get 403', async () => {
    const [x] = await users(1);
    const g = await createGroup(s.http, owner, [admin, member, x], 'Roles');
    await s.http.patch(`/api/conversations/${g}/members/${admin.id}`, { role: 'admin' }, owner.token);

    const byAdmin = await s.http.patch(`/api/conversations/${g}/members/${x.id}`, { role: 'admin' }, admin.token);
    expect(byAdmin.status).toBe(403);
    const byMember = await s.http.patch(`/api/conversations/${g}/members/${x.id}`, { role: 'admin' }, member.token);
    expect(byMember.status).toBe(403);
    expect(roleOf((await s.http.get(`/api/conversations/${g}`, owner.token)).body, x.id)).toBe('member');

    // Promotion gives the powers of an admin; demotion takes them away.
    const up = await s.http.patch(`/api/conversations/${g}/members/${x.id}`, { role: 'admin' }, owner.token);
    expect(up.status).toBe(200);
    expect(roleOf(up.body, x.id)).toBe('admin');
    expect((await s.http.patch(`/api/conversations/${g}`, { title: 'By x' }, x.token)).status).toBe(200);
    const down = await s.http.patch(`/api/conversations/${g}/members/${x.id}`, { role: 'member' }, owner.token);
    expect(down.status).toBe(200);
    expect(roleOf(down.body, x.id)).toBe('member');
    expect((await s.http.patch(`/api/conversations/${g}`, { title: 'By x again' }, x.token)).status).toBe(403);
  });

  it('role changes reject other roles (400) and non-members (404)', async () => {
    for (const role of ['owner', 'superuser', '']) {
      const res = await s.http.patch(`/api/conversations/${group}/members/${member.id}`, { role }, owner.token);
      expect(res.status, role).toBe(400);
    }
    expect(roleOf((await s.http.get(`/api/conversations/${group}`, owner.token)).body, member.id)).toBe('member');
    const outsider = await s.http.patch(
      `/api/conversations/${group}/members/${spare.id}`,
      { role: 'admin' },
      owner.token,
    );
    expect(outsider.status).toBe(404);
  });

  it('the owner removes anyone; an admin removes members only; a member removes nobody', async () => {
    const [m1, m2, m3, a2] = await users(4);
    const g = await createGroup(s.http, owner, [admin, a2, m1, m2, m3], 'Removing');
    for (const a of [admin, a2]) {
      await s.http.patch(`/api/conversations/${g}/members/${a.id}`, { role: 'admin' }, owner.token);
    }
    const remove = (who: TestUser, target: TestUser) =>
      s.http.del(`/api/conversations/${g}/members/${target.id}`, who.token);
    const members = async () =>
      (await s.http.get(`/api/conversations/${g}`, owner.token)).body.members.map((m: any) => m.id).sort();

    expect((await remove(m1, m2)).status).toBe(403);
    expect((await remove(admin, a2)).status).toBe(403);
    expect((await remove(admin, owner)).status).toBe(403);
    expect(await members()).toEqual([owner, admin, a2, m1, m2, m3].map((u) => u.id).sort());
    expect(roleOf((await s.http.get(`/api/conversations/${g}`, owner.token)).body, owner.id)).toBe('owner');

    const byAdmin = await remove(admin, m1);
    expect(byAdmin.status).toBe(204);
    expect((await s.http.get(`/api/conversations/${g}`, m1.token)).status).toBe(404);

    expect((await remove(owner, m2)).status).toBe(204);
    expect((await remove(owner, a2)).status).toBe(204);
    expect(await members()).toEqual([owner, admin, m3].map((u) => u.id).sort());

    // Removed members lose the conversation from their list.
    const m2List = (await s.http.get('/api/conversations', m2.token)).body.conversations.map((c: any) => c.id);
    expect(m2List).not.toContain(g);

    // Removing someone who is not a member is a 404.
    expect((await remove(owner, m1)).status).toBe(404);
  });

  it('any member leaves with DELETE members/me: 204, then 404 on the conversation', async () => {
    const [x] = await users(1);
    const g = await createGroup(s.http, owner, [x], 'Leaving');
    const res = await s.http.del(`/api/conversations/${g}/members/me`, x.token);
    expect(res.status).toBe(204);
    expect((await s.http.get(`/api/conversations/${g}`, x.token)).status).toBe(404);
    const list = (await s.http.get('/api/conversations', x.token)).body.conversations.map((c: any) => c.id);
    expect(list).not.toContain(g);
    const left = (await s.http.get(`/api/conversations/${g}`, owner.token)).body.members.map((m: any) => m.id);
    expect(left).toEqual([owner.id]);
  });

  it('a leaving owner hands ownership to an admin, even over a longer-standing member', async () => {
    const [o, early, late] = await users(3);
    const g = await createGroup(s.http, o, [early], 'Handover');
    await s.http.post(`/api/conversations/${g}/members`, { user_ids: [late.id] }, o.token);
    await s.http.patch(`/api/conversations/${g}/members/${late.id}`, { role: 'admin' }, o.token);

    expect((await s.http.del(`/api/conversations/${g}/members/me`, o.token)).status).toBe(204);
    const conv = (await s.http.get(`/api/conversations/${g}`, early.token)).body;
    expect(roleOf(conv, late.id)).toBe('owner');
    expect(roleOf(conv, early.id)).toBe('member');
    expect(conv.members).toHaveLength(2);
    // The new owner has the owner's powers.
    const res = await s.http.patch(`/api/conversations/${g}/members/${early.id}`, { role: 'admin' }, late.token);
    expect(res.status).toBe(200);
  });

  it('a leaving owner with no admins hands ownership to the longest-standing member', async () => {
    const [o, u1, u2] = await users(3);
    // The one who joined first has the larger id, so ordering by id would pick the wrong one.
    const [first, second] = [u1, u2].sort((p, q) => (p.id < q.id ? 1 : -1)) as [TestUser, TestUser];
    const g = await createGroup(s.http, o, [first], 'Seniority');
    await s.http.post(`/api/conversations/${g}/members`, { user_ids: [second.id] }, o.token);

    expect((await s.http.del(`/api/conversations/${g}/members/${o.id}`, o.token)).status).toBe(204);
    const conv = (await s.http.get(`/api/conversations/${g}`, second.token)).body;
    expect(roleOf(conv, first.id)).toBe('owner');
    expect(roleOf(conv, second.id)).toBe('member');
  });

  it('nobody leaves or is removed from a one_to_one (400)', async () => {
    const [a, b] = await users(2);
    const direct = await createDirect(s.http, a, b);
    const leave = await s.http.del(`/api/conversations/${direct}/members/me`, a.token);
    expect(leave.status).toBe(400);
    const kick = await s.http.del(`/api/conversations/${direct}/members/${b.id}`, a.token);
    expect(kick.status).toBe(400);
    expect((await s.http.get(`/api/conversations/${direct}`, a.token)).body.members).toHaveLength(2);
  });
});

describe('outsiders', () => {
  let owner: TestUser, member: TestUser, outsider: TestUser, removed: TestUser;
  let group: string;
  beforeAll(async () => {
    [owner, member, outsider, removed] = await users(4);
    group = await createGroup(s.http, owner, [member, removed], 'Private');
    await sendText(s.http, member, group, 'secret');
    expect((await s.http.del(`/api/conversations/${group}/members/${removed.id}`, owner.token)).status).toBe(204);
  });

  const everyRoute = (id: string, target: string) =>
    [
      ['GET', `/api/conversations/${id}`, undefined],
      ['PATCH', `/api/conversations/${id}`, { title: 'Taken over' }],
      ['POST', `/api/conversations/${id}/members`, { user_ids: [target] }],
      ['PATCH', `/api/conversations/${id}/members/${target}`, { role: 'admin' }],
      ['DELETE', `/api/conversations/${id}/members/${target}`, undefined],
      ['DELETE', `/api/conversations/${id}/members/me`, undefined],
      ['GET', `/api/conversations/${id}/messages`, undefined],
      ['POST', `/api/conversations/${id}/messages`, { content: 'hi', message_type: 'text', client_id: randomUUID() }],
      ['POST', `/api/conversations/${id}/read`, { seq: 1 }],
    ] as const;

  it.each([
    ['a user who never was a member', () => outsider],
    ['a member who was removed', () => removed],
  ])('%s gets 404 on every route under the conversation, and changes nothing', async (_name, who) => {
    const u = who();
    for (const [method, path, body] of everyRoute(group, member.id)) {
      const res = await s.http.request(method, path, { token: u.token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code, `${method} ${path}`).toBe('not_found');
    }
    const conv = (await s.http.get(`/api/conversations/${group}`, owner.token)).body;
    expect(conv).toMatchObject({ title: 'Private', last_seq: 1 });
    expect(conv.members.map((m: any) => m.id).sort()).toEqual([owner.id, member.id].sort());
    expect(roleOf(conv, member.id)).toBe('member');
  });

  it.each([
    ['a non-UUID id', 'not-a-uuid'],
    ['a numeric id', '123'],
    ['an unknown UUID', randomUUID()],
  ])('%s gets 404 (not 500) on every route', async (_name, id) => {
    for (const [method, path, body] of everyRoute(id, member.id)) {
      const res = await s.http.request(method, path, { token: owner.token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});
