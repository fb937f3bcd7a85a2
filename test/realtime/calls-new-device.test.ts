import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { realtimeSuite } from '../helpers/realtime.js';
import { answer, offer } from '../helpers/calls.js';
import { settle } from '../helpers/ws.js';
import type { ServerFrame } from '../../protocol/frames.js';

// A ring long enough for a device to open during it on a slow machine.
const rt = realtimeSuite({ CALL_RING_TIMEOUT_MS: '20000' });
const { connect, pair } = rt;

async function ring() {
  const p = await pair();
  const a = await connect(p.alice);
  const b1 = await connect(p.bob);
  const callId = randomUUID();
  a.send('call_offer', { call_id: callId, conversation_id: p.conversationId, media: 'audio', offer });
  await a.waitForType('call_ringing', (x) => x.call_id === callId);
  await b1.waitForType('call_offer', (x) => x.call_id === callId);
  return { ...p, a, b1, callId };
}

const offerOf = (callId: string) => (x: { call_id: string }) => x.call_id === callId;

describe('a device that opens while a call to it rings', () => {
  it('rings too, and can answer there: the caller gets its answer, the other devices stop ringing', async () => {
    const { alice, bob, conversationId, a, b1, callId } = await ring();
    const b2 = await connect(bob);
    const o = await b2.waitForType('call_offer', offerOf(callId));
    expect(o.payload).toEqual({
      call_id: callId,
      conversation_id: conversationId,
      caller_id: alice.id,
      media: 'audio',
      offer,
    });
    // The caller's own other device does not ring.
    const a2 = await connect(alice);
    b2.send('call_answer', { call_id: callId, answer });
    expect((await a.waitForType('call_answer')).payload).toEqual({ call_id: callId, answer });
    await b1.waitForType('call_answered_elsewhere', offerOf(callId));
    // Answered: a device that opens now does not ring, and the offer is no longer kept.
    const b3 = await connect(bob);
    await settle();
    expect(a2.ofType('call_offer')).toHaveLength(0);
    expect(b3.ofType('call_offer')).toHaveLength(0);
    const { rows } = await rt.s.ctx.db.query('SELECT offer FROM calls WHERE id = $1', [callId]);
    expect(rows).toEqual([{ offer: null }]);
  });

  it('a socket that reconnects during the ring is offered the call again', async () => {
    const { bob, b1, callId } = await ring();
    await b1.close();
    const again = await connect(bob);
    await again.waitForType('call_offer', offerOf(callId));
  });

  it('does not ring after the call was cancelled or declined', async () => {
    const cancelled = await ring();
    cancelled.a.send('call_cancel', { call_id: cancelled.callId });
    await cancelled.b1.waitForType('call_cancel', offerOf(cancelled.callId));
    const declined = await ring();
    declined.b1.send('call_decline', { call_id: declined.callId });
    await declined.a.waitForType('call_decline', offerOf(declined.callId));
    const [c, d] = [await connect(cancelled.bob), await connect(declined.bob)];
    await settle();
    expect(c.ofType('call_offer')).toHaveLength(0);
    expect(d.ofType('call_offer')).toHaveLength(0);
  });

  it('a socket that asks (`ringing_calls`, after a `resync`) is offered what rings for it now, with its frame id, and nothing else', async () => {
    const { alice, a, b1, callId } = await ring();
    // An offer lost between nodes: this socket never heard it, and asks.
    b1.send('ringing_calls', {}, 'r1');
    const got = await b1.waitFor((f) => f.id === 'r1' && f.type === 'call_offer');
    expect(got.payload).toMatchObject({ call_id: callId, caller_id: alice.id, media: 'audio', offer });
    // Frames of a socket run in order: a pong comes after whatever an ask before it sends.
    const nothingFor = async (c: typeof a, id: string) => {
      c.send('ringing_calls', {}, id);
      await c.request('ping', {});
      expect(c.frames.filter((f) => f.id === id)).toEqual([]);
    };
    // The caller asking is offered nothing (nothing rings for her); once cancelled, nothing rings for him.
    await nothingFor(a, 'r2');
    a.send('call_cancel', { call_id: callId });
    await b1.waitForType('call_cancel', offerOf(callId));
    await nothingFor(b1, 'r3');
  });

  it('a call answered between reading the ringing calls and offering them is ended on the new device at once', async () => {
    const { bob, a, b1, callId } = await ring();
    const { ringNewDevice } = await import('../../server/calls/service.js');
    // The new device's reads go to the real database; before the second read, another device
    // of Bob's answers (and the answer is committed and announced).
    const real = rt.s.ctx.db;
    let reads = 0;
    const db = Object.create(real) as typeof real;
    db.query = (async (text: string, params?: unknown[]) => {
      if (++reads === 2) {
        b1.send('call_answer', { call_id: callId, answer });
        await a.waitForType('call_answer');
      }
      return real.query(text, params);
    }) as typeof real.query;
    const frames: ServerFrame[] = [];
    await ringNewDevice({ ...rt.s.ctx, db }, bob.id, (f) => frames.push(f));
    expect(frames.map((f) => [f.type, (f.payload as { call_id: string }).call_id])).toEqual([
      ['call_offer', callId],
      ['call_answered_elsewhere', callId],
    ]);
  });
});
