import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { realtimeSuite } from '../helpers/realtime.js';
import { createGroup, createUser, sendText } from '../helpers/factories.js';
import { settle, WsClient } from '../helpers/ws.js';

const rt = realtimeSuite({ WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' });
const { connect, pair } = rt;

describe('chat_message', () => {
  it('acks after storing and delivers to every device of every member, the sender included', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a1, a2, b1, b2] = await Promise.all([connect(alice), connect(alice), connect(bob), connect(bob)]);
    const clientId = randomUUID();
    const ack = await a1.request('chat_message', {
      conversation_id: conversationId,
      content: 'hello bob',
      message_type: 'text',
      client_id: clientId,
    });
    expect(ack.type).toBe('message_ack');
    expect(ack.payload).toMatchObject({ client_id: clientId, conversation_id: conversationId, seq: 1 });
    // Acked means stored: the row is there the moment the ack is.
    const { rows } = await rt.s.ctx.db.query('SELECT body, seq FROM messages WHERE id = $1', [ack.payload.id]);
    expect(rows).toEqual([{ body: 'hello bob', seq: 1 }]);

    for (const c of [a2, b1, b2]) {
      const m = await c.waitForType('new_message', (p) => p.client_id === clientId);
      expect(m.payload).toMatchObject({
        id: ack.payload.id,
        conversation_id: conversationId,
        seq: 1,
        sender_id: alice.id,
        content: 'hello bob',
        message_type: 'text',
        created_at: ack.payload.created_at,
      });
    }
  });

  it('does not deliver to people outside the conversation', async () => {
    const { alice, conversationId } = await pair();
    const eve = await createUser(rt.s.http);
    const [a, e] = await Promise.all([connect(alice), connect(eve)]);
    await a.request('chat_message', { conversation_id: conversationId, content: 'secret', client_id: randomUUID() });
    await settle();
    expect(e.ofType('new_message')).toHaveLength(0);
  });

  it('a repeated client_id acks the stored message again and delivers nothing new', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = await Promise.all([connect(alice), connect(bob)]);
    const frame = { conversation_id: conversationId, content: 'once', client_id: randomUUID() };
    const first = await a.request('chat_message', frame);
    const second = await a.request('chat_message', frame);
    expect(second.payload).toEqual(first.payload);
    await settle();
    expect(b.ofType('new_message')).toHaveLength(1);
  });

  it('the same client_id sent 20 times at once stores one row and acks it 20 times identically', async () => {
    const { alice, conversationId } = await pair();
    const sockets = await Promise.all([connect(alice), connect(alice), connect(alice), connect(alice)]);
    const frame = { conversation_id: conversationId, content: 'retry storm', client_id: randomUUID() };
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sockets[i % sockets.length]!.request('chat_message', frame)),
    );
    expect(new Set(acks.map((a) => JSON.stringify(a.payload))).size).toBe(1);
    expect(acks[0]!.type).toBe('message_ack');
    const { rows } = await rt.s.ctx.db.query('SELECT count(*)::int AS n FROM messages WHERE client_id = $1', [
      frame.client_id,
    ]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('100 interleaved sends from both sides: every client sees one order with no gap', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b, b2] = await Promise.all([connect(alice), connect(bob), connect(bob)]);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(
        a.request('chat_message', { conversation_id: conversationId, content: `a${i}`, client_id: randomUUID() }),
      );
      sends.push(
        b.request('chat_message', { conversation_id: conversationId, content: `b${i}`, client_id: randomUUID() }),
      );
    }
    await Promise.all(sends);
    const seen = async (c: WsClient) => {
      for (let n = 0; n < 100 && c.ofType('new_message').length < 100; n++) await settle(20);
      return c.ofType('new_message').map((f) => f.payload);
    };
    const views = await Promise.all([seen(a), seen(b), seen(b2)]);
    const expected = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const view of views) expect(view.map((m) => m.seq)).toEqual(expected);
    // One order: every client has the same content at each seq...
    expect(views[1]!.map((m) => m.content)).toEqual(views[0]!.map((m) => m.content));
    expect(views[2]!.map((m) => m.content)).toEqual(views[0]!.map((m) => m.content));
    // ...and each sender's own messages keep the order they were sent in.
    const aOrder = views[0]!.filter((m) => m.sender_id === alice.id).map((m) => m.content);
    expect(aOrder).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
  });

  it('REST sends fan out exactly like WebSocket sends', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = await Promise.all([connect(alice), connect(bob)]);
    const sent = await sendText(rt.s.http, alice, conversationId, 'over REST');
    for (const c of [a, b]) {
      const m = await c.waitForType('new_message');
      expect(m.payload).toMatchObject({ id: sent.id, seq: sent.seq, content: 'over REST' });
    }
  });

  it('a non-member gets not_found with the client_id as ref, and nothing is stored', async () => {
    const { conversationId } = await pair();
    const eve = await createUser(rt.s.http);
    const e = await connect(eve);
    const clientId = randomUUID();
    e.send('chat_message', { conversation_id: conversationId, content: 'let me in', client_id: clientId });
    const err = await e.waitForType('error');
    expect(err.payload).toMatchObject({ code: 'not_found', ref: clientId });
    const { rows } = await rt.s.ctx.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [
      conversationId,
    ]);
    expect(rows[0]).toEqual({ n: 0 });
    expect((await e.request('ping', {})).type).toBe('pong');
  });

  it('a group member removed from the group stops receiving its messages', async () => {
    const [owner, m1, m2] = await Promise.all([createUser(rt.s.http), createUser(rt.s.http), createUser(rt.s.http)]);
    const group = await createGroup(rt.s.http, owner, [m1, m2]);
    const [o, c1, c2] = await Promise.all([connect(owner), connect(m1), connect(m2)]);
    expect((await rt.s.http.del(`/api/conversations/${group}/members/${m2.id}`, owner.token)).status).toBe(204);
    await o.request('chat_message', { conversation_id: group, content: 'after removal', client_id: randomUUID() });
    await c1.waitForType('new_message', (p) => p.content === 'after removal');
    await settle();
    expect(c2.ofType('new_message')).toHaveLength(0);
  });
});

describe('catch-up', () => {
  it('an offline member gets what it missed by sync and by REST after_seq', async () => {
    const { alice, bob, conversationId } = await pair();
    const a = await connect(alice);
    for (let i = 1; i <= 5; i++) {
      await a.request('chat_message', { conversation_id: conversationId, content: `m${i}`, client_id: randomUUID() });
    }
    // Bob saw up to seq 2 before going offline; he comes back.
    const b = await connect(bob);
    const res = await b.request('sync', { conversations: [{ conversation_id: conversationId, after_seq: 2 }] });
    expect(res.type).toBe('sync_result');
    expect(res.payload.conversations).toHaveLength(1);
    const synced = res.payload.conversations[0];
    expect(synced).toMatchObject({ conversation_id: conversationId, has_more: false });
    expect(synced.messages.map((m: any) => [m.seq, m.content])).toEqual([
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
    ]);
    const rest = await rt.s.http.get(`/api/conversations/${conversationId}/messages?after_seq=2`, bob.token);
    expect(rest.body.messages).toEqual(synced.messages);
  });

  it('sync returns 100 at a time with has_more, and the rest pages over REST', async () => {
    const { alice, bob, conversationId } = await pair();
    const sends = Array.from({ length: 120 }, (_, i) =>
      rt.s.http.post(
        `/api/conversations/${conversationId}/messages`,
        { content: `n${i}`, message_type: 'text', client_id: randomUUID() },
        alice.token,
      ),
    );
    await Promise.all(sends);
    const b = await connect(bob);
    const res = await b.request('sync', { conversations: [{ conversation_id: conversationId, after_seq: 0 }] });
    const first = res.payload.conversations[0];
    expect(first.has_more).toBe(true);
    expect(first.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const rest = await rt.s.http.get(
      `/api/conversations/${conversationId}/messages?after_seq=100&limit=100`,
      bob.token,
    );
    expect(rest.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
    // At the edge: exactly a page left is all of it; one more is not.
    const edge = async (afterSeq: number) =>
      (await b.request('sync', { conversations: [{ conversation_id: conversationId, after_seq: afterSeq }] })).payload
        .conversations[0];
    const exactly = await edge(20);
    expect(exactly.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 21));
    expect(exactly.has_more).toBe(false);
    expect((await edge(19)).has_more).toBe(true);
  });

  it('sync leaves out conversations the user is not in and says so', async () => {
    const { bob, conversationId } = await pair();
    const other = await pair();
    const b = await connect(bob);
    const res = await b.request('sync', {
      conversations: [
        { conversation_id: conversationId, after_seq: 0 },
        { conversation_id: other.conversationId, after_seq: 0 },
        { conversation_id: 'not-a-uuid', after_seq: 0 },
      ],
    });
    expect(res.type).toBe('sync_result');
    expect(res.payload.conversations.map((c: any) => c.conversation_id)).toEqual([conversationId]);
    const err = await b.waitForType('error');
    expect(err.payload.code).toBe('not_found');
    expect(err.payload.message).toContain(other.conversationId);
  });
});
