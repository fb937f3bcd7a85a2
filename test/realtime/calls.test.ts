import { describe, expect, it } from 'vitest';
import { createHmac, randomUUID } from 'node:crypto';
import { realtimeSuite } from '../helpers/realtime.js';
import { answer, offer } from '../helpers/calls.js';
import { createDirect, createGroup, createUser } from '../helpers/factories.js';
import { settle } from '../helpers/ws.js';

const TURN_SECRET = 'turn-shared-secret-for-tests';
const rt = realtimeSuite({
  CALL_RING_TIMEOUT_MS: '400',
  CALL_REJOIN_MS: '600',
  STUN_URLS: 'stun:stun.example.test:3478',
  TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp',
  TURN_SECRET,
  TURN_TTL_SECONDS: '600',
});
const { connect, pair } = rt;

async function ring() {
  const p = await pair();
  const a = await connect(p.alice);
  const [b1, b2] = [await connect(p.bob), await connect(p.bob)];
  const callId = randomUUID();
  a.send('call_offer', { call_id: callId, conversation_id: p.conversationId, media: 'video', offer });
  await a.waitForType('call_ringing', (x) => x.call_id === callId);
  for (const b of [b1, b2]) {
    const o = await b.waitForType('call_offer', (x) => x.call_id === callId);
    expect(o.payload).toEqual({
      call_id: callId,
      conversation_id: p.conversationId,
      caller_id: p.alice.id,
      media: 'video',
      offer,
    });
  }
  return { ...p, a, b1, b2, callId };
}

const callMessage = async (token: string, conversationId: string) => {
  const res = await rt.s.http.get(`/api/conversations/${conversationId}/messages?limit=1`, token);
  const m = res.body.messages[0];
  return m?.message_type === 'call' ? JSON.parse(m.content) : null;
};

const unread = async (token: string, conversationId: string) => {
  const list = await rt.s.http.get('/api/conversations', token);
  return list.body.conversations.find((c: any) => c.id === conversationId).unread_count as number;
};

describe('calls', () => {
  it('rings every device; answering on one stops the others; ICE goes to the active device only; hang-up ends both', async () => {
    const { alice, bob, conversationId, a, b1, b2, callId } = await ring();
    b1.send('call_answer', { call_id: callId, answer });
    expect((await a.waitForType('call_answer')).payload).toEqual({ call_id: callId, answer });
    await b2.waitForType('call_answered_elsewhere', (x) => x.call_id === callId);

    const candidate = {
      candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    a.send('ice_candidate', { call_id: callId, candidate });
    expect((await b1.waitForType('ice_candidate')).payload).toEqual({ call_id: callId, candidate });
    b1.send('ice_candidate', { call_id: callId, candidate: 'from-bob' });
    expect((await a.waitForType('ice_candidate')).payload.candidate).toBe('from-bob');
    // So does the state of the microphone and camera, as sent (extra fields left behind).
    a.send('call_media', { call_id: callId, muted: false, camera_off: true, extra: 'dropped' });
    expect((await b1.waitForType('call_media')).payload).toEqual({ call_id: callId, muted: false, camera_off: true });
    b1.send('call_media', { call_id: callId, muted: true, camera_off: false });
    expect((await a.waitForType('call_media')).payload).toEqual({ call_id: callId, muted: true, camera_off: false });
    await settle();
    expect(b2.ofType('ice_candidate')).toHaveLength(0);
    expect(b2.ofType('call_media')).toHaveLength(0);

    a.send('call_end', { call_id: callId });
    expect((await b1.waitForType('call_end')).payload).toEqual({ call_id: callId, reason: 'hangup' });
    const history = await rt.s.http.get('/api/calls', bob.token);
    expect(history.body.calls[0]).toMatchObject({
      id: callId,
      conversation_id: conversationId,
      caller_id: alice.id,
      media: 'video',
      state: 'ended',
      end_reason: 'hangup',
    });
    expect(history.body.calls[0].duration_seconds).toBeGreaterThanOrEqual(0);
    expect(await callMessage(bob.token, conversationId)).toMatchObject({
      call_id: callId,
      state: 'ended',
      media: 'video',
      // When it began (the line shows that time; the message is stored when it ends).
      started_at: history.body.calls[0].started_at,
    });
    // Bob took the call: it is not unread for him, and Alice sees it read.
    await expect.poll(() => unread(bob.token, conversationId)).toBe(0);
    await a.waitForType('receipt_update', (x) => x.user_id === bob.id && x.read_seq === 1);
  });

  it('an answered call leaves earlier unread messages unread, and counts itself with them', async () => {
    const p = await pair();
    await rt.s.http.post(
      `/api/conversations/${p.conversationId}/messages`,
      { content: 'are you there?', client_id: randomUUID() },
      p.alice.token,
    );
    const a = await connect(p.alice);
    const b = await connect(p.bob);
    const callId = randomUUID();
    a.send('call_offer', { call_id: callId, conversation_id: p.conversationId, media: 'audio', offer });
    await b.waitForType('call_offer', (x) => x.call_id === callId);
    b.send('call_answer', { call_id: callId, answer });
    await a.waitForType('call_answer');
    b.send('call_end', { call_id: callId });
    await a.waitForType('call_end');
    await expect.poll(() => callMessage(p.bob.token, p.conversationId)).toMatchObject({ state: 'ended' });
    await settle(200);
    expect(await unread(p.bob.token, p.conversationId)).toBe(2);
  });

  it("a client's own client_id cannot take the call message's place", async () => {
    const { alice, bob, conversationId, a, b1, callId } = await ring();
    // The form the server's call messages once had, and the form they have now.
    for (const clientId of [`call-${callId}`, `call:${callId}`]) {
      const res = await rt.s.http.post(
        `/api/conversations/${conversationId}/messages`,
        { content: 'a text in the way', client_id: clientId },
        alice.token,
      );
      expect([201, 400], clientId).toContain(res.status);
    }
    b1.send('call_decline', { call_id: callId });
    await a.waitForType('call_decline', (x) => x.call_id === callId);
    await expect
      .poll(() => callMessage(bob.token, conversationId))
      .toMatchObject({ call_id: callId, state: 'declined' });
  });

  it('decline tells the caller and silences the callee’s other devices', async () => {
    const { bob, conversationId, a, b1, b2, callId } = await ring();
    b2.send('call_decline', { call_id: callId });
    await a.waitForType('call_decline', (x) => x.call_id === callId);
    await b1.waitForType('call_decline', (x) => x.call_id === callId);
    expect(await callMessage(bob.token, conversationId)).toMatchObject({ state: 'declined' });
  });

  it('cancel (the caller gives up) stops the ringing', async () => {
    const { a, b1, b2, callId } = await ring();
    a.send('call_cancel', { call_id: callId });
    await b1.waitForType('call_cancel', (x) => x.call_id === callId);
    await b2.waitForType('call_cancel', (x) => x.call_id === callId);
  });

  it('no answer in time: call_missed to both sides, and a missed call in the conversation', async () => {
    const { bob, conversationId, a, b1, callId } = await ring();
    await a.waitForType('call_missed', (x) => x.call_id === callId, 3000);
    await b1.waitForType('call_missed', (x) => x.call_id === callId, 3000);
    expect(await callMessage(bob.token, conversationId)).toMatchObject({ state: 'missed' });
    const list = await rt.s.http.get('/api/conversations', bob.token);
    expect(list.body.conversations.find((c: any) => c.id === conversationId).unread_count).toBe(1);
  });

  it('a callee already in a call is busy', async () => {
    const first = await ring();
    first.b1.send('call_answer', { call_id: first.callId, answer });
    await first.a.waitForType('call_answer');
    const carol = await createUser(rt.s.http);
    const conv = await createDirect(rt.s.http, carol, first.bob);
    const c = await connect(carol);
    const callId = randomUUID();
    c.send('call_offer', { call_id: callId, conversation_id: conv, media: 'audio', offer });
    await c.waitForType('call_busy', (x) => x.call_id === callId);
    await settle();
    expect(first.b1.ofType('call_offer').filter((f) => f.payload.call_id === callId)).toHaveLength(0);
  });

  it('two people calling the same person at the same moment: one rings, the other hears busy', async () => {
    const target = await createUser(rt.s.http);
    const [x, y] = [await createUser(rt.s.http), await createUser(rt.s.http)];
    const [cx, cy] = [await createDirect(rt.s.http, x, target), await createDirect(rt.s.http, y, target)];
    const [sx, sy] = [await connect(x), await connect(y)];
    await connect(target);
    const [idx, idy] = [randomUUID(), randomUUID()];
    sx.send('call_offer', { call_id: idx, conversation_id: cx, media: 'audio', offer });
    sy.send('call_offer', { call_id: idy, conversation_id: cy, media: 'audio', offer });
    const outcome = await Promise.all([
      sx.waitFor((f) => (f.type === 'call_ringing' || f.type === 'call_busy') && f.payload.call_id === idx),
      sy.waitFor((f) => (f.type === 'call_ringing' || f.type === 'call_busy') && f.payload.call_id === idy),
    ]);
    expect(outcome.map((f) => f.type).sort()).toEqual(['call_busy', 'call_ringing']);
  });

  it('a call left ringing by a node that died (no timer anywhere) is swept to missed', async () => {
    const { alice, bob, conversationId } = await pair();
    const [a, b] = [await connect(alice), await connect(bob)];
    const callId = randomUUID();
    // Written as the dead node left it: ringing, ten minutes old, and no timer on any live node.
    await rt.s.ctx.db.query(
      `INSERT INTO calls (id, conversation_id, caller_id, media, state, started_at)
       VALUES ($1, $2, $3, 'audio', 'ringing', now() - interval '10 minutes')`,
      [callId, conversationId, alice.id],
    );
    await rt.s.ctx.db.query(
      `INSERT INTO call_participants (call_id, user_id, role, socket_id) VALUES ($1, $2, 'caller', 'gone'), ($1, $3, 'callee', NULL)`,
      [callId, alice.id, bob.id],
    );
    const { sweepStaleRinging } = await import('../../server/calls/service.js');
    await sweepStaleRinging(rt.s.ctx);
    await a.waitForType('call_missed', (x) => x.call_id === callId);
    await b.waitForType('call_missed', (x) => x.call_id === callId);
    const { rows } = await rt.s.ctx.db.query('SELECT state FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'missed' });
    expect(await callMessage(bob.token, conversationId)).toMatchObject({ state: 'missed' });
  });

  it('a caller whose socket drops and does not come back ends the call for the other side, after a while', async () => {
    const { alice, a, b1, callId } = await ring();
    b1.send('call_answer', { call_id: callId, answer });
    await a.waitForType('call_answer');
    const aliceElsewhere = await connect(alice);
    const dropped = Date.now();
    await a.close();
    expect((await b1.waitForType('call_end')).payload).toEqual({ call_id: callId, reason: 'disconnected' });
    // Not at once: the call waited CALL_REJOIN_MS (600 ms here) for the caller's device.
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(550);
    // The side that went away hears it too, on whatever device it has.
    expect((await aliceElsewhere.waitForType('call_end')).payload).toEqual({ call_id: callId, reason: 'disconnected' });
  });

  it('a device whose socket drops mid-call comes back on a new socket and the call goes on (decision 044)', async () => {
    const { bob, a, b1, callId } = await ring();
    b1.send('call_answer', { call_id: callId, answer });
    await a.waitForType('call_answer');
    await b1.close();
    await settle(200);
    // Meanwhile Alice's side goes on signalling, without an error: Bob is only away.
    a.send('ice_candidate', { call_id: callId, candidate: 'while-away' }, 'i1');
    await settle(100);
    expect(a.ofType('error')).toEqual([]);
    // Bob's phone is back (a new socket), and says it is still in the call.
    const back = await connect(bob);
    back.send('call_rejoin', { call_id: callId }, 'r1');
    await settle(600);
    expect(back.ofType('error')).toEqual([]);
    expect(a.ofType('call_end')).toEqual([]);
    // Signalling reaches the new socket, both ways, and the call is still on.
    a.send('ice_candidate', { call_id: callId, candidate: 'after-the-drop' });
    expect((await back.waitForType('ice_candidate')).payload.candidate).toBe('after-the-drop');
    back.send('call_media', { call_id: callId, muted: true, camera_off: false });
    expect((await a.waitForType('call_media')).payload.muted).toBe(true);
    const { rows } = await rt.s.ctx.db.query('SELECT state FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'accepted' });
    a.send('call_end', { call_id: callId });
    await back.waitForType('call_end', (x) => x.call_id === callId && x.reason === 'hangup');

    // Too late: the call ended; a stranger's rejoin is refused as for any call of others.
    back.send('call_rejoin', { call_id: callId }, 'r2');
    expect((await back.waitFor((f) => f.id === 'r2')).payload).toMatchObject({ code: 'conflict' });
    const eve = await connect(await createUser(rt.s.http));
    eve.send('call_rejoin', { call_id: callId }, 'r3');
    expect((await eve.waitFor((f) => f.id === 'r3')).payload.code).toBe('not_found');
  });

  it('a call left by a node that died is ended by the sweep once the wait is over', async () => {
    const { a, b1, callId } = await ring();
    b1.send('call_answer', { call_id: callId, answer });
    await a.waitForType('call_answer');
    // As a dead node leaves it: Bob's device away since long ago, no timer to end the call.
    await rt.s.ctx.db.query(
      `UPDATE call_participants SET socket_id = NULL, away_since = now() - interval '1 minute'
        WHERE call_id = $1 AND role = 'callee'`,
      [callId],
    );
    const { endAbandoned } = await import('../../server/calls/away.js');
    await endAbandoned(rt.s.ctx);
    expect((await a.waitForType('call_end')).payload).toEqual({ call_id: callId, reason: 'disconnected' });
    const { rows } = await rt.s.ctx.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'disconnected' });
  });
});

describe('call authorization', () => {
  it('strangers cannot call into or signal on someone else’s call', async () => {
    const { conversationId, a, b1, callId } = await ring();
    const eve = await createUser(rt.s.http);
    const e = await connect(eve);
    e.send('call_offer', { call_id: randomUUID(), conversation_id: conversationId, media: 'audio', offer }, 'o1');
    expect((await e.waitFor((f) => f.id === 'o1')).payload.code).toBe('not_found');
    for (const [type, payload] of [
      ['call_answer', { call_id: callId, answer }],
      ['ice_candidate', { call_id: callId, candidate: 'evil' }],
      ['call_media', { call_id: callId, muted: true, camera_off: true }],
      ['call_end', { call_id: callId }],
      ['call_decline', { call_id: callId }],
    ] as const) {
      e.send(type, payload, type);
      expect((await e.waitFor((f) => f.id === type)).payload.code, type).toBe('not_found');
    }
    // A forged call id, and the caller answering their own call.
    a.send('ice_candidate', { call_id: randomUUID(), candidate: 'x' }, 'forged');
    expect((await a.waitFor((f) => f.id === 'forged')).payload.code).toBe('not_found');
    a.send('call_answer', { call_id: callId, answer }, 'self');
    expect((await a.waitFor((f) => f.id === 'self')).payload.code).toBe('not_found');
    await settle();
    expect(b1.ofType('ice_candidate')).toHaveLength(0);
    expect(b1.ofType('call_media')).toHaveLength(0);
    expect(a.ofType('call_end')).toHaveLength(0);
  });

  it('refuses group calls for now, oversized SDP, and a reused call id', async () => {
    const { alice, bob, conversationId } = await pair();
    const group = await createGroup(rt.s.http, alice, [bob]);
    const a = await connect(alice);
    a.send('call_offer', { call_id: randomUUID(), conversation_id: group, media: 'audio', offer }, 'g');
    expect((await a.waitFor((f) => f.id === 'g')).payload.code).toBe('bad_request');
    a.send(
      'call_offer',
      { call_id: randomUUID(), conversation_id: conversationId, media: 'audio', offer: 'x'.repeat(40_000) },
      'big',
    );
    expect((await a.waitFor((f) => f.id === 'big')).payload.code).toBe('validation_failed');
    a.send('call_offer', { call_id: 'not-a-uuid', conversation_id: conversationId, media: 'audio', offer }, 'id');
    expect((await a.waitFor((f) => f.id === 'id')).payload.code).toBe('validation_failed');
    const callId = randomUUID();
    a.send('call_offer', { call_id: callId, conversation_id: conversationId, media: 'audio', offer });
    await a.waitForType('call_ringing');
    a.send('call_cancel', { call_id: callId });
    await settle();
    a.send('call_offer', { call_id: callId, conversation_id: conversationId, media: 'audio', offer }, 'again');
    expect((await a.waitFor((f) => f.id === 'again')).payload.code).toBe('conflict');
  });
});

describe('ICE servers', () => {
  it('hands out time-limited TURN credentials (coturn REST scheme), never the secret', async () => {
    const u = await createUser(rt.s.http);
    const before = Math.floor(Date.now() / 1000);
    const res = await rt.s.http.get('/api/calls/ice-servers', u.token);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(TURN_SECRET);
    expect(res.body.ice_transport_policy).toBe('all');
    expect(res.body.ttl).toBe(600);
    expect(res.body.ice_servers[0]).toEqual({ urls: ['stun:stun.example.test:3478'] });
    const turn = res.body.ice_servers[1];
    expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
    const [expiry, userId] = turn.username.split(':');
    expect(userId).toBe(u.id);
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(599);
    expect(Number(expiry) - before).toBeLessThanOrEqual(601);
    expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
  });

  it('relay_only users get iceTransportPolicy relay', async () => {
    const u = await createUser(rt.s.http);
    expect((await rt.s.http.patch('/api/users/me', { relay_only: true }, u.token)).body.relay_only).toBe(true);
    expect((await rt.s.http.get('/api/calls/ice-servers', u.token)).body.ice_transport_policy).toBe('relay');
    expect((await rt.s.http.get('/api/calls/ice-servers')).status).toBe(401);
  });
});
