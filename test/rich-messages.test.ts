/**
 * Rich messaging over real HTTP and WebSocket: edits, deletes for everyone, replies and
 * reactions reach every member live and, for a member who was away, through `sync` and the
 * change log; only the people allowed may make each change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createGroup, createUsers, postMessage, sendText, type TestUser } from './helpers/factories.js';
import { settle, WsClient } from './helpers/ws.js';

let s: TestServer;
let a: TestUser;
let b: TestUser;
let c: TestUser;
const sockets: WsClient[] = [];
beforeAll(async () => {
  s = await startServer({ MESSAGE_EDIT_WINDOW_SECONDS: '3600' });
  [a, b, c] = await createUsers(s.http, 3);
});
afterAll(async () => {
  await Promise.all(sockets.map((w) => w.close()));
  await s?.close();
});

async function connect(user: TestUser) {
  const w = await WsClient.connect(s.base, user.token);
  sockets.push(w);
  return w;
}

const enc = encodeURIComponent;
const edit = (user: TestUser, id: string, content: string) =>
  s.http.request('PATCH', `/api/messages/${id}`, { token: user.token, body: { content } });
const remove = (user: TestUser, id: string) => s.http.request('DELETE', `/api/messages/${id}`, { token: user.token });
const react = (user: TestUser, id: string, emoji: string) =>
  s.http.request('PUT', `/api/messages/${id}/reactions/${enc(emoji)}`, { token: user.token });
const unreact = (user: TestUser, id: string, emoji: string) =>
  s.http.request('DELETE', `/api/messages/${id}/reactions/${enc(emoji)}`, { token: user.token });

async function stored(id: string) {
  const { rows } = await s.ctx.db.query<{ body: string; deleted_at: Date | null; reply_to: string | null }>(
    'SELECT body, deleted_at, reply_to FROM messages WHERE id = $1',
    [id],
  );
  return rows[0]!;
}

describe('edit', () => {
  it('the author edits; every device of every member gets message_updated live; history shows it', async () => {
    const conv = await createDirect(s.http, a, b);
    const m = await sendText(s.http, a, conv, 'helo');
    const [aOther, bSocket] = await Promise.all([connect(a), connect(b)]);
    const aSocket = await connect(a);
    const reply = await aSocket.request('message_edit', { message_id: m.id, content: 'hello' });
    expect(reply.type).toBe('message_updated');
    expect(reply.payload).toMatchObject({ id: m.id, content: 'hello', change_seq: 1, deleted_at: null });
    expect(Date.parse(reply.payload.edited_at)).not.toBeNaN();
    for (const w of [aOther, bSocket]) {
      const f = await w.waitForType('message_updated', (p) => p.id === m.id);
      expect(f.payload).toEqual(reply.payload);
    }
    const history = await s.http.get(`/api/conversations/${conv}/messages`, b.token);
    expect(history.body.messages[0]).toMatchObject({ id: m.id, content: 'hello', change_seq: 1 });
    expect((await stored(m.id)).body).toBe('hello');
  });

  it('ready tells the client the edit window and the upload limit, so it offers only what works', async () => {
    const w = await connect(c);
    expect(w.ofType('ready')[0]!.payload.limits).toEqual({
      message_edit_window_seconds: 3600,
      upload_max_bytes: 25 * 1024 * 1024,
    });
  });

  it('is searchable by its new words and not by its old ones', async () => {
    const conv = await createDirect(s.http, a, c);
    const m = await sendText(s.http, a, conv, 'zebracorn original');
    expect((await edit(a, m.id, 'unicornzebra replaced')).status).toBe(200);
    const found = async (q: string) =>
      (await s.http.get(`/api/search?q=${q}&conversation_id=${conv}`, c.token)).body.messages.length;
    expect(await found('zebracorn')).toBe(0);
    expect(await found('unicornzebra')).toBe(1);
  });

  it('only the author may edit, only text, only within the window; the same text changes nothing', async () => {
    const conv = await createGroup(s.http, a, [b], 'Edits');
    const m = await sendText(s.http, a, conv, 'mine');
    const byOther = await edit(b, m.id, 'hijacked');
    expect(byOther.status).toBe(403);
    expect(byOther.body.error.code).toBe('forbidden');
    expect((await stored(m.id)).body).toBe('mine');

    const same = await edit(a, m.id, 'mine');
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ change_seq: 0, edited_at: null });

    await s.ctx.db.query("UPDATE messages SET created_at = now() - interval '2 hours' WHERE id = $1", [m.id]);
    const late = await edit(a, m.id, 'too late');
    expect(late.status).toBe(403);
    expect(late.body.error.message).toMatch(/1 hour/);

    const empty = await edit(a, m.id, '   ');
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('validation_failed');
  });

  it('a non-member, a removed member and a made-up id get 404 and nothing changes', async () => {
    const conv = await createGroup(s.http, a, [b], 'Private');
    const m = await sendText(s.http, b, conv, 'private words');
    expect((await s.http.del(`/api/conversations/${conv}/members/${b.id}`, a.token)).status).toBe(204);
    for (const [user, id] of [
      [c, m.id],
      [b, m.id],
      [a, randomUUID()],
      [a, 'not-an-id'],
    ] as const) {
      const res = await edit(user, id, 'x');
      expect(res.status, res.text).toBe(404);
      expect(res.text).not.toContain('private words');
    }
    expect((await stored(m.id)).body).toBe('private words');
  });
});

describe('delete for everyone', () => {
  it('erases the text from storage, keeps the seq as a tombstone, and tells every member', async () => {
    const conv = await createGroup(s.http, a, [b], 'Regrets');
    const m = await sendText(s.http, a, conv, 'regrettable');
    const next = await sendText(s.http, a, conv, 'fine');
    await react(b, m.id, '😮');
    const bSocket = await connect(b);
    const res = await remove(a, m.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: m.id, seq: m.seq, content: '', reactions: [], reply_to: null });
    expect(res.body.deleted_at).not.toBeNull();
    const live = await bSocket.waitForType('message_updated', (p) => p.id === m.id && p.deleted_at);
    expect(live.payload.content).toBe('');

    const row = await stored(m.id);
    expect(row.body).toBe('');
    const { rows } = await s.ctx.db.query('SELECT * FROM message_reactions WHERE message_id = $1', [m.id]);
    expect(rows).toEqual([]);
    const history = await s.http.get(`/api/conversations/${conv}/messages?after_seq=0`, b.token);
    expect(history.body.messages.map((x: any) => [x.seq, x.content])).toEqual([
      [m.seq, ''],
      [next.seq, 'fine'],
    ]);
    const search = await s.http.get(`/api/search?q=regrettable&conversation_id=${conv}`, b.token);
    expect(search.body.messages).toEqual([]);
  });

  it('a deleted message cannot be edited or reacted to; deleting again changes nothing', async () => {
    const conv = await createDirect(s.http, a, c);
    const m = await sendText(s.http, a, conv, 'gone soon');
    const first = await remove(a, m.id);
    expect((await edit(a, m.id, 'back')).status).toBe(409);
    expect((await react(c, m.id, '👍')).status).toBe(409);
    const again = await remove(a, m.id);
    expect(again.status).toBe(200);
    expect(again.body.change_seq).toBe(first.body.change_seq);
  });

  it('in a group, owners and admins delete anyone’s message; members only their own', async () => {
    const conv = await createGroup(s.http, a, [b, c], 'Moderated');
    const byC = await sendText(s.http, c, conv, 'c says');
    const byA = await sendText(s.http, a, conv, 'a says');
    const refused = await remove(b, byC.id);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await remove(c, byA.id)).status).toBe(403);
    expect((await stored(byA.id)).deleted_at).toBeNull();

    expect(
      (
        await s.http.request('PATCH', `/api/conversations/${conv}/members/${b.id}`, {
          token: a.token,
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(200);
    expect((await remove(b, byC.id)).status).toBe(200);
    expect((await remove(a, byC.id)).status).toBe(200);
    expect((await stored(byC.id)).deleted_at).not.toBeNull();
  });

  it('in a one-to-one chat, nobody deletes the other person’s messages', async () => {
    const conv = await createDirect(s.http, b, c);
    const m = await sendText(s.http, b, conv, 'my words');
    expect((await remove(c, m.id)).status).toBe(403);
  });
});

describe('replies', () => {
  it('carry a preview of the answered message that follows its edits and its deletion', async () => {
    const conv = await createGroup(s.http, a, [b], 'Replies');
    const original = await sendText(s.http, a, conv, 'question? ' + 'x'.repeat(300));
    const bSocket = await connect(b);
    const ack = await bSocket.request('chat_message', {
      conversation_id: conv,
      content: 'answer',
      client_id: randomUUID(),
      reply_to: original.id,
    });
    expect(ack.type).toBe('message_ack');
    const live = await bSocket.waitForType('new_message', (p) => p.id === ack.payload.id);
    expect(live.payload.reply_to).toEqual({
      id: original.id,
      seq: original.seq,
      sender_id: a.id,
      content: original.content.slice(0, 200),
      message_type: 'text',
      deleted: false,
      filename: null,
    });

    await remove(a, original.id);
    const history = await s.http.get(`/api/conversations/${conv}/messages?limit=1`, a.token);
    expect(history.body.messages[0].reply_to).toMatchObject({ id: original.id, content: '', deleted: true });
  });

  it('must answer a message of the same conversation', async () => {
    const conv = await createGroup(s.http, a, [b], 'Here');
    const elsewhere = await sendText(s.http, a, await createGroup(s.http, a, [], 'There'), 'elsewhere');
    for (const replyTo of [elsewhere.id, randomUUID(), 'nonsense']) {
      const res = await postMessage(s.http, a, conv, {
        content: 'hi',
        client_id: randomUUID(),
        reply_to: replyTo,
      });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.message).toMatch(/reply_to/);
    }
    const { rows } = await s.ctx.db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [conv]);
    expect(rows).toEqual([]);
    // A non-member learns nothing from a reply either: the conversation is not found.
    const outsider = await postMessage(s.http, c, conv, {
      content: 'hi',
      client_id: randomUUID(),
      reply_to: elsewhere.id,
    });
    expect(outsider.status).toBe(404);
  });
});

describe('reactions', () => {
  it('counts who reacted with what, first reactor first, live to every member', async () => {
    const conv = await createGroup(s.http, a, [b, c], 'Reactions');
    const m = await sendText(s.http, a, conv, 'party at 8');
    const aSocket = await connect(a);
    const bSocket = await connect(b);
    const r1 = await bSocket.request('reaction_add', { message_id: m.id, emoji: '🎉' });
    expect(r1.payload.reactions).toEqual([{ emoji: '🎉', count: 1, user_ids: [b.id] }]);
    expect((await react(c, m.id, '🎉')).body.reactions).toEqual([{ emoji: '🎉', count: 2, user_ids: [b.id, c.id] }]);
    const last = await react(c, m.id, '👍🏽');
    expect(last.body.reactions).toEqual([
      { emoji: '🎉', count: 2, user_ids: [b.id, c.id] },
      { emoji: '👍🏽', count: 1, user_ids: [c.id] },
    ]);
    await aSocket.waitForType('message_updated', (p) => p.change_seq === last.body.change_seq);
    expect(aSocket.ofType('message_updated').at(-1)!.payload.reactions).toEqual(last.body.reactions);

    // Adding again is one row and no change; removing is idempotent too.
    const again = await react(c, m.id, '🎉');
    expect(again.body.change_seq).toBe(last.body.change_seq);
    const { rows } = await s.ctx.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM message_reactions WHERE message_id = $1',
      [m.id],
    );
    expect(rows[0]!.n).toBe(3);
    expect((await unreact(b, m.id, '🎉')).body.reactions[0]).toEqual({ emoji: '🎉', count: 1, user_ids: [c.id] });
    const none = await bSocket.request('reaction_remove', { message_id: m.id, emoji: '🎉' });
    expect(none.payload.reactions).toHaveLength(2);
  });

  it('refuses text that is not one emoji, with a clear error and the socket alive', async () => {
    const conv = await createDirect(s.http, a, b);
    const m = await sendText(s.http, a, conv, 'hello');
    const w = await connect(b);
    // Not one emoji: text, a run of emoji, joiners before one, a lone surrogate.
    const text = ['abc', '', '👍 ', '<script>', '1', 'x'.repeat(40)];
    const notOne = ['👍👎', '😀'.repeat(20), '\u200d\u200d🇦', '\ud83d'];
    for (const emoji of [...text, ...notOne]) {
      const f = await w.request('reaction_add', { message_id: m.id, emoji });
      expect(f.type, emoji).toBe('error');
      expect(f.payload.code).toBe('validation_failed');
    }
    expect((await react(b, m.id, 'abc')).status).toBe(400);
    expect((await react(b, m.id, '👍👎')).status).toBe(400);
    expect((await w.request('ping', {})).type).toBe('pong');
    for (const emoji of ['❤️', '🇫🇷', '👨‍👩‍👧', '1️⃣', '👍🏽', '🏳️‍🌈'])
      expect((await react(b, m.id, emoji)).status, emoji).toBe(200);
  });

  it('a user may put at most 10 emojis on one message', async () => {
    const conv = await createDirect(s.http, a, c);
    const m = await sendText(s.http, a, conv, 'so many feelings');
    const emojis = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋'];
    for (const e of emojis.slice(0, 10)) expect((await react(c, m.id, e)).status).toBe(200);
    const over = await react(c, m.id, emojis[10]!);
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/10/);
  });
});

describe('catching up on changes', () => {
  it('sync with after_change_seq returns what changed while away; the change log pages the rest', async () => {
    const conv = await createGroup(s.http, a, [b], 'Away');
    const m1 = await sendText(s.http, a, conv, 'one');
    const m2 = await sendText(s.http, a, conv, 'two');
    // b was last connected here: it knows seq 2 and no change.
    const list = (await s.http.get('/api/conversations', b.token)).body.conversations;
    expect(list.find((x: any) => x.id === conv).last_change_seq).toBe(0);

    await edit(a, m1.id, 'one, edited');
    await react(a, m2.id, '👍');
    await remove(a, m2.id);
    const m3 = await sendText(s.http, a, conv, 'three');
    await edit(a, m3.id, 'three, edited');

    const w = await connect(b);
    const res = await w.request('sync', {
      conversations: [{ conversation_id: conv, after_seq: 2, after_change_seq: 0 }],
    });
    const [entry] = res.payload.conversations;
    expect(entry.messages.map((x: any) => [x.seq, x.content, x.change_seq])).toEqual([[3, 'three, edited', 4]]);
    // Changes to messages the client already had: their latest state, in change order.
    expect(entry.changes.map((x: any) => [x.seq, x.content, x.deleted_at !== null, x.change_seq])).toEqual([
      [1, 'one, edited', false, 1],
      [2, '', true, 3],
    ]);
    expect(entry.last_change_seq).toBe(4);
    expect(entry.changes_has_more).toBe(false);

    // Without a cursor (an older client), sync is as before: no changes.
    const plain = await w.request('sync', { conversations: [{ conversation_id: conv, after_seq: 3 }] });
    expect(plain.payload.conversations[0]).toMatchObject({ messages: [], changes: [] });

    const log = await s.http.get(`/api/conversations/${conv}/changes?after_change_seq=1&limit=1`, b.token);
    expect(log.status).toBe(200);
    expect(log.body.changes.map((x: any) => x.seq)).toEqual([2]);
    expect(log.body).toMatchObject({ last_change_seq: 4, has_more: true });
    const rest = await s.http.get(`/api/conversations/${conv}/changes?after_change_seq=3`, b.token);
    expect(rest.body.changes.map((x: any) => x.seq)).toEqual([3]);
    expect(rest.body.has_more).toBe(false);
    const list2 = (await s.http.get('/api/conversations', b.token)).body.conversations;
    expect(list2.find((x: any) => x.id === conv)).toMatchObject({ last_change_seq: 4 });
  });

  it('a client that replays live events and then syncs ends where one that stayed connected is', async () => {
    const conv = await createGroup(s.http, a, [b, c], 'Converge');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sendText(s.http, a, conv, `m${i}`)).id);
    const stayed = await connect(c);
    // b leaves after seq 6 with change cursor 0; lots happens, concurrently.
    await Promise.all([
      edit(a, ids[0]!, 'm0 edited'),
      react(b, ids[1]!, '👍'),
      react(c, ids[1]!, '👍'),
      remove(a, ids[2]!),
      react(c, ids[3]!, '❤️').then(() => unreact(c, ids[3]!, '❤️')),
      edit(a, ids[4]!, 'm4 edited'),
    ]);
    const { rows } = await s.ctx.db.query<{ last_change_seq: number }>(
      'SELECT last_change_seq FROM conversations WHERE id = $1',
      [conv],
    );
    const last = rows[0]!.last_change_seq;
    expect(last).toBe(7);
    // The connected client applied each live event, keeping the highest change_seq per message.
    const live = new Map<string, any>();
    await stayed.waitFor(() => stayed.ofType('message_updated').length >= last);
    for (const f of stayed.ofType('message_updated')) {
      if ((live.get(f.payload.id)?.change_seq ?? -1) < f.payload.change_seq) live.set(f.payload.id, f.payload);
    }
    const w = await connect(b);
    const synced = await w.request('sync', {
      conversations: [{ conversation_id: conv, after_seq: 6, after_change_seq: 0 }],
    });
    const changes = synced.payload.conversations[0].changes;
    expect(new Map(changes.map((m: any) => [m.id, m]))).toEqual(live);
    const history = (await s.http.get(`/api/conversations/${conv}/messages?after_seq=0`, c.token)).body.messages;
    for (const m of history) if (live.has(m.id)) expect(m).toEqual(live.get(m.id));
  });

  it('refuses the change log to non-members and bad cursors', async () => {
    const conv = await createGroup(s.http, a, [b], 'Closed');
    expect((await s.http.get(`/api/conversations/${conv}/changes`, c.token)).status).toBe(404);
    expect((await s.http.get(`/api/conversations/${conv}/changes?after_change_seq=-1`, a.token)).status).toBe(400);
    expect((await s.http.get(`/api/conversations/${conv}/changes?limit=1000`, a.token)).status).toBe(400);
    await settle(10);
  });
});
