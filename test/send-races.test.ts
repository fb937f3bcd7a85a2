import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers } from './helpers/factories.js';
import { waitFor } from './helpers/processes.js';
import { WsClient, settle } from './helpers/ws.js';

// A send whose statement began before a member's removal committed, and waited for the
// conversation's lock that the removal held: it must see the group as the removal left it
// (the send statement's snapshot is older than that; see members_version in the batcher).
let s: TestServer;
/** Holds a member's row while a removal waits for it. */
let holder: pg.Client;
/** Watches pg_stat_activity: from outside the holder's transaction, whose first read of it would be its view for good. */
let watcher: pg.Client;
beforeAll(async () => {
  s = await startServer();
  holder = new pg.Client({ connectionString: s.config.DATABASE_URL });
  watcher = new pg.Client({ connectionString: s.config.DATABASE_URL });
  await Promise.all([holder.connect(), watcher.connect()]);
});
afterAll(async () => {
  await holder?.end();
  await watcher?.end();
  await s?.close();
});

/** Resolves once a backend of this database waits on a lock in a statement that starts so. */
const waitingOnLock = (start: string) =>
  waitFor(async () => {
    const { rows } = await watcher.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`${start}%`],
    );
    return rows[0]!.n > 0;
  }, `a statement starting "${start}" waiting on a lock`);

/**
 * Makes a send start during a removal: the removal takes the conversation's lock and then waits
 * on the removed member's row (held here); the send starts and waits on the conversation; the
 * row is let go, the removal commits, and the send goes on.
 */
async function sendDuringRemoval(opts: { group: string; owner: string; removed: string; sender: string }) {
  await holder.query('BEGIN');
  try {
    await holder.query('SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE', [
      opts.group,
      opts.removed,
    ]);
    const removal = s.http.request('DELETE', `/api/conversations/${opts.group}/members/${opts.removed}`, {
      token: opts.owner,
    });
    await waitingOnLock('DELETE FROM conversation_members');
    const send = s.http.post(
      `/api/conversations/${opts.group}/messages`,
      { content: 'after the removal', client_id: `race-${opts.removed}` },
      opts.sender,
    );
    await waitingOnLock('WITH input AS MATERIALIZED');
    await holder.query('COMMIT');
    const removed = await removal;
    expect(removed.status, removed.text).toBe(204);
    return send;
  } finally {
    await holder.query('ROLLBACK'); // after a failure above; a warning only after the COMMIT
  }
}

it('a member removed while a message was being sent does not receive it', async () => {
  const [owner, alice, bob] = await createUsers(s.http, 3);
  const group = await createGroup(s.http, owner, [alice, bob]);
  const bobSocket = await WsClient.connect(s.base, bob.token);
  const ownerSocket = await WsClient.connect(s.base, owner.token);
  try {
    const sent = await sendDuringRemoval({ group, owner: owner.token, removed: bob.id, sender: alice.token });
    expect(sent.status, sent.text).toBe(201);
    // The members still there get it; the removed one is told of the change, not the message.
    await ownerSocket.waitForType('new_message', (p) => p.id === sent.body.id);
    await bobSocket.waitForType('conversation_updated', (p) => p.conversation_id === group);
    await settle(300);
    expect(bobSocket.ofType('new_message')).toEqual([]);
    const history = await s.http.get(`/api/conversations/${group}/messages`, bob.token);
    expect(history.status).toBe(404);
  } finally {
    await bobSocket.close();
    await ownerSocket.close();
  }
});

it('a message from a member removed while it was being sent is refused and not stored', async () => {
  const [owner, alice, bob] = await createUsers(s.http, 3);
  const group = await createGroup(s.http, owner, [alice, bob]);
  const ownerSocket = await WsClient.connect(s.base, owner.token);
  try {
    const sent = await sendDuringRemoval({ group, owner: owner.token, removed: bob.id, sender: bob.token });
    expect(sent.status, sent.text).toBe(404);
    expect(sent.body.error.code).toBe('not_found');
    // Only the line saying Bob was removed.
    const history = await s.http.get(`/api/conversations/${group}/messages`, owner.token);
    expect(history.body.messages.map((m: any) => [m.message_type, m.content])).toEqual([
      ['event', `{"event":"removed","user_ids":["${bob.id}"]}`],
    ]);
    await settle(300);
    expect(ownerSocket.ofType('new_message').map((f) => f.payload.message_type)).toEqual(['event']);
  } finally {
    await ownerSocket.close();
  }
});

it('after each change of members, by anyone, the next message reaches exactly the members of that moment', async () => {
  // The node holds a conversation's members between sends (MemberCache); a change must show,
  // made by this node or by anyone else (here: SQL, as another node or an administrator).
  const [owner, alice, bob, carol] = await createUsers(s.http, 4);
  const group = await createGroup(s.http, owner, [alice, bob]);
  const sockets = await Promise.all([owner, alice, bob, carol].map((u) => WsClient.connect(s.base, u.token)));
  const [, , bobSocket, carolSocket] = sockets;
  const send = async (content: string) => {
    const ack = await sockets[1]!.request('chat_message', { conversation_id: group, content, client_id: content });
    expect(ack.type).toBe('message_ack');
  };
  // Texts, and the lines of the changes made through the API (`added`, `removed`).
  const got = (socket: WsClient) =>
    socket
      .ofType('new_message')
      .map((f) => (f.payload.message_type === 'event' ? JSON.parse(f.payload.content).event : f.payload.content));
  try {
    await send('m1');
    await send('m2');
    expect(
      (await s.http.post(`/api/conversations/${group}/members`, { user_ids: [carol.id] }, owner.token)).status,
    ).toBe(200);
    await send('m3');
    expect((await s.http.del(`/api/conversations/${group}/members/${bob.id}`, owner.token)).status).toBe(204);
    await send('m4');
    await watcher.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [
      group,
      carol.id,
    ]);
    await send('m5');
    await watcher.query("INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1, $2, 'member')", [
      group,
      bob.id,
    ]);
    await send('m6');
    // A member row changed in place: Bob's place in the group given to Carol.
    await watcher.query('UPDATE conversation_members SET user_id = $3 WHERE conversation_id = $1 AND user_id = $2', [
      group,
      bob.id,
      carol.id,
    ]);
    await send('m7');
    await bobSocket!.waitForType('new_message', (p) => p.content === 'm6');
    await carolSocket!.waitForType('new_message', (p) => p.content === 'm7');
    await sockets[0]!.waitForType('new_message', (p) => p.content === 'm7');
    await settle(300);
    expect(got(carolSocket!)).toEqual(['added', 'm3', 'removed', 'm4', 'm7']);
    expect(got(bobSocket!)).toEqual(['m1', 'm2', 'added', 'm3', 'm6']);
    expect(got(sockets[0]!)).toEqual(['m1', 'm2', 'added', 'm3', 'removed', 'm4', 'm5', 'm6', 'm7']);
  } finally {
    await Promise.all(sockets.map((x) => x.close()));
  }
});

it('a member row moved by SQL to another conversation changes who gets the next message of both', async () => {
  // Both conversations' held members are stale after the move (decision 029, migration 0012).
  const [owner, alice, bob] = await createUsers(s.http, 3);
  const from = await createGroup(s.http, owner, [alice, bob]);
  const to = await createGroup(s.http, owner, [alice]);
  const sockets = await Promise.all([owner, alice, bob].map((u) => WsClient.connect(s.base, u.token)));
  const [ownerSocket, aliceSocket, bobSocket] = sockets;
  const send = async (conversation: string, content: string) => {
    const ack = await aliceSocket!.request('chat_message', {
      conversation_id: conversation,
      content,
      client_id: content,
    });
    expect(ack.type).toBe('message_ack');
  };
  try {
    // Each conversation's members held by the node before the move.
    await send(from, 'a1');
    await send(to, 'b1');
    await watcher.query(
      'UPDATE conversation_members SET conversation_id = $2 WHERE conversation_id = $1 AND user_id = $3',
      [from, to, bob.id],
    );
    await send(from, 'a2');
    await send(to, 'b2');
    await bobSocket!.waitForType('new_message', (p) => p.content === 'b2');
    await ownerSocket!.waitForType('new_message', (p) => p.content === 'b2');
    await settle(300);
    expect(bobSocket!.ofType('new_message').map((f) => f.payload.content)).toEqual(['a1', 'b2']);
  } finally {
    await Promise.all(sockets.map((x) => x.close()));
  }
});

it('a reply and a change of the message it answers, both waiting on the conversation, both go through', async () => {
  // A change locks its message, then the conversation; a send locks the conversation, then
  // (checking reply_to) the message it answers, FOR KEY SHARE. Were the change's lock to
  // stop that check, the two would wait on each other: a deadlock, and one of them failed.
  const [alice, bob] = await createUsers(s.http, 2);
  const group = await createGroup(s.http, alice, [bob]);
  const original = await s.http.post(
    `/api/conversations/${group}/messages`,
    { content: 'original', client_id: 'original' },
    alice.token,
  );
  expect(original.status).toBe(201);
  const id = original.body.id as string;
  await holder.query('BEGIN');
  try {
    // The reply gets the conversation first, once it is let go; the edit holds its message meanwhile.
    await holder.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [group]);
    const reply = s.http.post(
      `/api/conversations/${group}/messages`,
      { content: 'a reply', client_id: 'reply', reply_to: id },
      bob.token,
    );
    await waitingOnLock('WITH input AS MATERIALIZED');
    const edit = s.http.request('PATCH', `/api/messages/${id}`, { token: alice.token, body: { content: 'edited' } });
    await waitingOnLock('SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE');
    await holder.query('COMMIT');
    const [replied, edited] = await Promise.all([reply, edit]);
    expect(replied.status, replied.text).toBe(201);
    expect(replied.body.reply_to).toMatchObject({ id });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body.content).toBe('edited');
  } finally {
    await holder.query('ROLLBACK');
  }
});
