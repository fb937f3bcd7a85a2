import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Changes to a group are lines of its history (`event` messages, decision 039): who added,
// removed, left or renamed, stored and delivered as messages are, and changed by nobody.
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers, listEntry, sendText, type TestUser } from './helpers/factories.js';
import { settle, WsClient } from './helpers/ws.js';
import { startSmtpSink } from './helpers/smtp.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

const history = async (u: TestUser, group: string) => {
  const res = await s.http.get(`/api/conversations/${group}/messages?limit=100`, u.token);
  expect(res.status).toBe(200);
  return (res.body.messages as any[]).slice().reverse();
};
/** The group's events, oldest first, as [sender, event]. */
const events = async (u: TestUser, group: string) =>
  (await history(u, group))
    .filter((m) => m.message_type === 'event')
    .map((m) => [m.sender_id, JSON.parse(m.content)] as const);

describe('group events', () => {
  let owner: TestUser, admin: TestUser, bob: TestUser, carol: TestUser, dave: TestUser;
  beforeAll(async () => {
    [owner, admin, bob, carol, dave] = await createUsers(s.http, 5);
  });

  it('adding says who added whom, once, in the order asked; members already there are not named', async () => {
    const group = await createGroup(s.http, owner, [admin], 'Adds');
    const add = (ids: string[]) => s.http.post(`/api/conversations/${group}/members`, { user_ids: ids }, owner.token);
    expect((await add([carol.id, bob.id])).status).toBe(200);
    expect((await add([bob.id, dave.id, carol.id])).status).toBe(200);
    expect((await add([dave.id])).status).toBe(200); // everyone is there already: no line
    expect(await events(owner, group)).toEqual([
      [owner.id, { event: 'added', user_ids: [carol.id, bob.id] }],
      [owner.id, { event: 'added', user_ids: [dave.id] }],
    ]);
    // Members added see the history as it is, these lines included.
    expect(await events(dave, group)).toEqual(await events(owner, group));
  });

  it('renaming says the new title; the same title again changes nothing', async () => {
    const group = await createGroup(s.http, owner, [admin, bob], 'Old');
    await s.http.patch(`/api/conversations/${group}/members/${admin.id}`, { role: 'admin' }, owner.token);
    expect((await s.http.patch(`/api/conversations/${group}`, { title: 'New' }, admin.token)).status).toBe(200);
    expect((await s.http.patch(`/api/conversations/${group}`, { title: 'New' }, owner.token)).status).toBe(200);
    expect(await events(bob, group)).toEqual([[admin.id, { event: 'renamed', title: 'New' }]]);
    expect((await listEntry(s.http, bob, group)).unread_count).toBe(1);
  });

  it('one who leaves says so to everyone, their own other devices too; the owner’s place passes on', async () => {
    const group = await createGroup(s.http, owner, [bob, carol], 'Leaving');
    const [bobPhone, carolSocket] = await Promise.all([bob, carol].map((u) => WsClient.connect(s.base, u.token)));
    try {
      expect((await s.http.del(`/api/conversations/${group}/members/me`, bob.token)).status).toBe(204);
      const left = (p: any) => p.message_type === 'event' && p.content === '{"event":"left"}' && p.sender_id === bob.id;
      await bobPhone!.waitForType('new_message', left);
      await carolSocket!.waitForType('new_message', left);
      expect((await s.http.del(`/api/conversations/${group}/members/me`, owner.token)).status).toBe(204);
      expect(await events(carol, group)).toEqual([
        [bob.id, { event: 'left' }],
        [owner.id, { event: 'left' }],
      ]);
      const conv = (await s.http.get(`/api/conversations/${group}`, carol.token)).body;
      expect(conv.members.map((m: any) => [m.id, m.role])).toEqual([[carol.id, 'owner']]);
      // Gone is gone: nothing of the group after leaving.
      expect((await s.http.get(`/api/conversations/${group}/messages`, bob.token)).status).toBe(404);
    } finally {
      await Promise.all([bobPhone, carolSocket].map((x) => x!.close()));
    }
  });

  it('removing says who removed whom to the members left; the removed one is not sent it', async () => {
    const group = await createGroup(s.http, owner, [bob, carol], 'Removing');
    const [bobSocket, carolSocket] = await Promise.all([bob, carol].map((u) => WsClient.connect(s.base, u.token)));
    try {
      expect((await s.http.del(`/api/conversations/${group}/members/${bob.id}`, owner.token)).status).toBe(204);
      const line = await carolSocket!.waitForType('new_message', (p) => p.message_type === 'event');
      expect(line.payload).toMatchObject({
        sender_id: owner.id,
        content: `{"event":"removed","user_ids":["${bob.id}"]}`,
      });
      await bobSocket!.waitForType('conversation_updated', (p) => p.conversation_id === group);
      await settle(200);
      expect(bobSocket!.ofType('new_message')).toEqual([]);
      // A refused removal (not a member any more) says nothing.
      expect((await s.http.del(`/api/conversations/${group}/members/${bob.id}`, owner.token)).status).toBe(404);
      expect((await events(carol, group)).length).toBe(1);
    } finally {
      await Promise.all([bobSocket, carolSocket].map((x) => x!.close()));
    }
  });

  it('a line is the record: no deleting it (not even by the owner), no reactions, no edits, no search, no sending one', async () => {
    const group = await createGroup(s.http, owner, [bob], 'Before');
    expect((await s.http.patch(`/api/conversations/${group}`, { title: 'Xylophonists' }, owner.token)).status).toBe(
      200,
    );
    const [line] = (await history(owner, group)).filter((m) => m.message_type === 'event');
    for (const [method, path, body] of [
      ['DELETE', `/api/messages/${line.id}`, undefined],
      ['PATCH', `/api/messages/${line.id}`, { content: 'rewritten' }],
      ['PUT', `/api/messages/${line.id}/reactions/${encodeURIComponent('👍')}`, undefined],
      ['DELETE', `/api/messages/${line.id}/reactions/${encodeURIComponent('👍')}`, undefined],
    ] as const) {
      const res = await s.http.request(method, path, { token: owner.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const ws = await WsClient.connect(s.base, owner.token);
    try {
      const frame = await ws.request('reaction_add', { message_id: line.id, emoji: '👍' });
      expect(frame).toMatchObject({ type: 'error', payload: { code: 'forbidden' } });
    } finally {
      await ws.close();
    }
    expect((await history(owner, group)).find((m) => m.id === line.id)).toMatchObject({
      deleted_at: null,
      reactions: [],
      content: '{"event":"renamed","title":"Xylophonists"}',
    });
    // The title's word is in the line's content, and no search finds it; a member's text does.
    await sendText(s.http, bob, group, 'xylophonists rehearse on Friday');
    for (const q of ['xylophonists', 'renamed', 'event']) {
      const found = await s.http.get(`/api/search?q=${q}&conversation_id=${group}`, owner.token);
      expect(found.status).toBe(200);
      expect(
        found.body.messages.map((r: any) => r.message.message_type),
        q,
      ).toEqual(q === 'xylophonists' ? ['text'] : []);
    }
    const sent = await s.http.post(
      `/api/conversations/${group}/messages`,
      { content: '{"event":"left"}', message_type: 'event', client_id: randomUUID() },
      bob.token,
    );
    expect(sent.status).toBe(400);
  });
});

it('an address not yet confirmed does not keep a change out of the history (only the member’s own words)', async () => {
  const smtp = await startSmtpSink();
  const strict = await startServer({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' });
  try {
    const [a, b] = await createUsers(strict.http, 2);
    const group = await createGroup(strict.http, a, [b], 'Unconfirmed');
    const said = await strict.http.post(
      `/api/conversations/${group}/messages`,
      { content: 'hi', client_id: randomUUID() },
      a.token,
    );
    expect(said.status).toBe(403);
    expect((await strict.http.patch(`/api/conversations/${group}`, { title: 'Renamed' }, a.token)).status).toBe(200);
    const page = await strict.http.get(`/api/conversations/${group}/messages`, b.token);
    expect(page.body.messages.map((m: any) => [m.message_type, m.content])).toEqual([
      ['event', '{"event":"renamed","title":"Renamed"}'],
    ]);
  } finally {
    await strict.close();
    await smtp.close();
  }
});
