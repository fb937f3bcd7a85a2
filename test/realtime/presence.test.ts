import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { realtimeSuite } from '../helpers/realtime.js';
import { createGroup, createUser } from '../helpers/factories.js';
import { settle } from '../helpers/ws.js';

const rt = realtimeSuite({ TYPING_TTL_MS: '300', WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' });
const { connect, pair } = rt;

describe('presence', () => {
  it('online when the first device connects, offline only when the last one closes, with last seen stored', async () => {
    const { alice, bob } = await pair();
    const a = await connect(alice);
    const b1 = await connect(bob);
    const online = await a.waitForType('presence_update', (p) => p.user_id === bob.id);
    expect(online.payload.status).toBe('online');
    const b2 = await connect(bob);
    await settle();
    expect(a.ofType('presence_update').filter((f) => f.payload.user_id === bob.id)).toHaveLength(1);

    await b1.close();
    await settle();
    expect(a.ofType('presence_update').filter((f) => f.payload.user_id === bob.id)).toHaveLength(1);

    await b2.close();
    const offline = await a.waitForType('presence_update', (p) => p.user_id === bob.id && p.status === 'offline');
    expect(Date.parse(offline.payload.last_seen_at)).toBeGreaterThan(Date.now() - 10_000);
    const me = await rt.s.http.get(`/api/users/${bob.id}`, alice.token);
    expect(me.body.last_seen_at).toBe(offline.payload.last_seen_at);
  });

  it('a new socket is told which contacts are online now', async () => {
    const { alice, bob } = await pair();
    await connect(bob);
    const a = await connect(alice);
    const p = await a.waitForType('presence_update', (x) => x.user_id === bob.id);
    expect(p.payload.status).toBe('online');
  });

  it('strangers are not told', async () => {
    const { bob } = await pair();
    const stranger = await createUser(rt.s.http);
    const x = await connect(stranger);
    await connect(bob);
    await settle();
    expect(x.ofType('presence_update')).toHaveLength(0);
  });
});

describe('typing', () => {
  it('goes to the other members only and expires by itself', async () => {
    const [owner, m1, m2] = await Promise.all([createUser(rt.s.http), createUser(rt.s.http), createUser(rt.s.http)]);
    const group = await createGroup(rt.s.http, owner, [m1, m2]);
    const [o, c1, c2] = await Promise.all([connect(owner), connect(m1), connect(m2)]);
    o.send('typing', { conversation_id: group, is_typing: true });
    for (const c of [c1, c2]) {
      const t = await c.waitForType('typing', (p) => p.is_typing);
      expect(t.payload).toEqual({ conversation_id: group, user_id: owner.id, is_typing: true });
    }
    // Nobody said stop: the server does after TYPING_TTL_MS (300 ms here).
    const stop = await c1.waitForType('typing', (p) => !p.is_typing, 3000);
    expect(stop.payload.user_id).toBe(owner.id);
    expect(o.ofType('typing')).toHaveLength(0);
  });

  it('refreshes extend it without repeating it; an explicit stop ends it at once', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = await Promise.all([connect(alice), connect(bob)]);
    a.send('typing', { conversation_id: conversationId, is_typing: true });
    await b.waitForType('typing', (p) => p.is_typing);
    for (let i = 0; i < 3; i++) {
      await settle(150);
      a.send('typing', { conversation_id: conversationId, is_typing: true });
    }
    await settle(100);
    expect(b.ofType('typing')).toHaveLength(1);
    a.send('typing', { conversation_id: conversationId, is_typing: false });
    await b.waitForType('typing', (p) => !p.is_typing, 250);
  });

  it('stops when the typing socket closes', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = await Promise.all([connect(alice), connect(bob)]);
    a.send('typing', { conversation_id: conversationId, is_typing: true });
    await b.waitForType('typing', (p) => p.is_typing);
    await a.close();
    await b.waitForType('typing', (p) => !p.is_typing, 250);
  });

  it('one removed from the group while typing: the others are told it stopped', async () => {
    const [owner, m1, m2] = await Promise.all([createUser(rt.s.http), createUser(rt.s.http), createUser(rt.s.http)]);
    const group = await createGroup(rt.s.http, owner, [m1, m2]);
    const [c1, c2] = await Promise.all([connect(m1), connect(m2)]);
    c1.send('typing', { conversation_id: group, is_typing: true });
    await c2.waitForType('typing', (p) => p.is_typing && p.user_id === m1.id);
    const removed = await rt.s.http.del(`/api/conversations/${group}/members/${m1.id}`, owner.token);
    expect(removed.status).toBe(204);
    // Nobody said stop, and m1 is no longer a member: the server still tells the rest.
    const stop = await c2.waitForType('typing', (p) => !p.is_typing, 3000);
    expect(stop.payload).toEqual({ conversation_id: group, user_id: m1.id, is_typing: false });
    // A refresh from the removed member is refused, and starts nothing.
    c1.send('typing', { conversation_id: group, is_typing: true }, 't2');
    expect((await c1.waitForType('error')).payload).toMatchObject({ code: 'not_found', ref: 't2' });
    await settle();
    expect(c2.ofType('typing').filter((f) => f.payload.is_typing)).toHaveLength(1);
  });

  it('a non-member gets not_found and nobody hears anything', async () => {
    const { bob, conversationId } = await pair();
    const eve = await createUser(rt.s.http);
    const [b, e] = await Promise.all([connect(bob), connect(eve)]);
    e.send('typing', { conversation_id: conversationId, is_typing: true }, 't1');
    expect((await e.waitForType('error')).payload).toMatchObject({ code: 'not_found', ref: 't1' });
    await settle();
    expect(b.ofType('typing')).toHaveLength(0);
  });
});

describe('receipts', () => {
  async function withMessages(n: number) {
    const p = await pair();
    const a = await connect(p.alice);
    const acks = [];
    for (let i = 0; i < n; i++) {
      acks.push(
        await a.request('chat_message', {
          conversation_id: p.conversationId,
          content: `r${i}`,
          client_id: randomUUID(),
        }),
      );
    }
    return { ...p, a, acks };
  }

  it('delivered and read move the watermarks forward and tell the members', async () => {
    const { bob, conversationId, a, acks } = await withMessages(3);
    const b = await connect(bob);
    b.send('delivered', { conversation_id: conversationId, seq: 3 });
    const delivered = await a.waitForType('receipt_update', (p) => p.user_id === bob.id);
    expect(delivered.payload).toEqual({
      conversation_id: conversationId,
      user_id: bob.id,
      delivered_seq: 3,
      read_seq: 0,
    });

    b.send('read_receipt', { message_id: acks[1]!.payload.id });
    const read = await a.waitForType('receipt_update', (p) => p.user_id === bob.id && p.read_seq === 2);
    expect(read.payload.delivered_seq).toBe(3);
    // Bob's other devices learn it too (to clear their unread badges).
    await b.waitForType('receipt_update', (p) => p.read_seq === 2);
  });

  it('never move backwards and never past the last message', async () => {
    const { bob, conversationId, a } = await withMessages(3);
    const b = await connect(bob);
    b.send('read_receipt', { conversation_id: conversationId, seq: 3 });
    await a.waitForType('receipt_update', (p) => p.read_seq === 3);
    b.send('read_receipt', { conversation_id: conversationId, seq: 1 });
    b.send('delivered', { conversation_id: conversationId, seq: 2 });
    b.send('read_receipt', { conversation_id: conversationId, seq: 999 });
    await b.request('ping', {});
    await settle();
    // Nothing moved, so nothing more was announced.
    expect(a.ofType('receipt_update').filter((f) => f.payload.user_id === bob.id)).toHaveLength(1);
    const { rows } = await rt.s.ctx.db.query(
      'SELECT last_delivered_seq, last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
      [conversationId, bob.id],
    );
    expect(rows[0]).toEqual({ last_delivered_seq: 3, last_read_seq: 3 });
  });

  it('the REST read endpoint emits receipt_update too', async () => {
    const { bob, conversationId, a } = await withMessages(2);
    const res = await rt.s.http.post(`/api/conversations/${conversationId}/read`, { seq: 2 }, bob.token);
    expect(res.status).toBe(200);
    const u = await a.waitForType('receipt_update', (p) => p.user_id === bob.id);
    expect(u.payload).toMatchObject({ read_seq: 2, delivered_seq: 2 });
  });

  it('a receipt for someone else’s conversation or message is not_found', async () => {
    const { conversationId, acks } = await withMessages(1);
    const eve = await createUser(rt.s.http);
    const e = await connect(eve);
    e.send('read_receipt', { message_id: acks[0]!.payload.id }, 'r1');
    e.send('delivered', { conversation_id: conversationId, seq: 1 }, 'd1');
    expect((await e.waitFor((f) => f.id === 'r1')).payload.code).toBe('not_found');
    expect((await e.waitFor((f) => f.id === 'd1')).payload.code).toBe('not_found');
  });
});
