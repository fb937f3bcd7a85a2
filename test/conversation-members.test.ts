import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Group roles, adding and removing members, leaving; and what outsiders get.
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createGroup, createUsers, listEntry, sendText, type TestUser } from './helpers/factories.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

const users = <N extends number>(n: N) => createUsers(s.http, n);

const roleOf = (conv: any, userId: string) => conv.members.find((m: any) => m.id === userId)?.role;

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

  it('owner and admin add members, who start with nothing unread but the line that added them; a member gets 403', async () => {
    const [x, y, z] = await users(3);
    const g = await createGroup(s.http, owner, [admin, member], 'Adding');
    await s.http.patch(`/api/conversations/${g}/members/${admin.id}`, { role: 'admin' }, owner.token);
    await sendText(s.http, member, g, 'one');
    await sendText(s.http, member, g, 'two');

    const byOwner = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [x.id] }, owner.token);
    expect(byOwner.status).toBe(200);
    expect(roleOf(byOwner.body, x.id)).toBe('member');
    const addedX = { message_type: 'event', sender_id: owner.id, content: `{"event":"added","user_ids":["${x.id}"]}` };
    expect(await listEntry(s.http, x, g)).toMatchObject({ last_seq: 3, unread_count: 1, last_message: addedX });
    const byAdmin = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [y.id] }, admin.token);
    expect(byAdmin.status).toBe(200);
    expect(roleOf(byAdmin.body, y.id)).toBe('member');
    const addedY = { message_type: 'event', sender_id: admin.id, content: `{"event":"added","user_ids":["${y.id}"]}` };
    expect(await listEntry(s.http, y, g)).toMatchObject({ last_seq: 4, unread_count: 1, last_message: addedY });
    const byMember = await s.http.post(`/api/conversations/${g}/members`, { user_ids: [z.id] }, member.token);
    expect(byMember.status).toBe(403);
    expect((await s.http.get(`/api/conversations/${g}`, z.token)).status).toBe(404);
    // Whoever adds has read their own line (and so everything before it); the owner not the admin's.
    expect((await listEntry(s.http, owner, g)).unread_count).toBe(1);
    expect((await listEntry(s.http, admin, g)).unread_count).toBe(0);

    // A message after they joined is unread for them too.
    await sendText(s.http, member, g, 'three');
    expect((await listEntry(s.http, x, g)).unread_count).toBe(3);
    expect((await listEntry(s.http, y, g)).unread_count).toBe(2);
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
    // The message and the line saying the removed member was removed.
    expect(conv).toMatchObject({ title: 'Private', last_seq: 2 });
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
