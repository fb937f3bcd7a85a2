/**
 * Hardening, item 5: the authorization matrix over WebSocket. Every client frame type has a row
 * in authz-frame-matrix.ts (the first test fails for a type without one); each protected row is
 * sent by the personas of authz-kit.ts, refused, and nothing of it reaches the group's sockets.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CLIENT_FRAME_TYPES, type ClientFrameType } from '../../protocol/frames.js';
import { createGroup, createUsers, sendText } from '../helpers/factories.js';
import { settle, WsClient, type Frame } from '../helpers/ws.js';
import {
  s,
  fx,
  useAuthzServer,
  useFixture,
  connect,
  PERSONAS,
  offer,
  answer,
  snapshot,
  expectNoSecrets,
  secretsFor,
  type PersonaName,
} from './authz-kit.js';
import { FRAMES, type FrameRow } from './authz-frame-matrix.js';

useAuthzServer();

/** Who did it, for frames that say: the sender of a message, the typist, the reader, the caller. */
const actorOf = (f: Frame): string | undefined => f.payload?.sender_id ?? f.payload?.user_id ?? f.payload?.caller_id;

/**
 * Frames the group's watchers got since `marks` about a protected conversation or call, on the
 * persona's behalf (frames naming another actor belong to that actor's row, not this one).
 */
function leaked(marks: number[], actor: string | null): Frame[] {
  return [fx.ownerSocket, fx.memberSocket].flatMap((w, i) =>
    w.frames.slice(marks[i]).filter((f) => {
      if (f.type === 'presence_update') return false;
      const json = JSON.stringify(f);
      if (!fx.protectedIds.some((id) => json.includes(id))) return false;
      const by = actorOf(f);
      return by === undefined || by === actor;
    }),
  );
}

const watchMarks = () => [fx.ownerSocket.frames.length, fx.memberSocket.frames.length];

describe('authorization matrix: WebSocket frames', () => {
  useFixture();

  it('has exactly one row per client frame type', () => {
    expect(Object.keys(FRAMES).sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
  });

  it('disabling a user closes their open socket with 4403', () => {
    expect(fx.disabledClose.code).toBe(4403);
  });

  it('auth: a bad token, or the token of a disabled user, gets unauthorized and 4401; a second auth is refused', async () => {
    for (const token of ['not-a-token', fx.disabled.token]) {
      const c = await connect(null);
      c.send('auth', { token }, 'a1');
      const err = await c.waitForType('error');
      expect(err.payload.code).toBe('unauthorized');
      expect((await c.closed).code).toBe(4401);
      expect(c.frames).toHaveLength(1);
    }
    const p = fx.personas['non-member'].socket!;
    const again = await p.request('auth', { token: fx.outsider.token });
    expect(again.type).toBe('error');
    expect(again.payload.code).toBe('bad_request');
    expect((await p.request('ping', {})).type).toBe('pong');
  });

  for (const [type, row] of Object.entries(FRAMES) as [ClientFrameType, FrameRow][]) {
    if ('special' in row) continue;
    const applies = (name: PersonaName) => row.scope !== 'user' || name === 'anonymous' || name === 'disabled user';

    describe(type, () => {
      for (const name of PERSONAS.filter(applies)) {
        const outcome = {
          anonymous: 'error unauthorized, closed 4401',
          'non-member': 'error not_found',
          'removed member': 'error not_found',
          'disabled user': 'old token refused (401 / 4401); the socket open at disabling runs nothing',
        }[name];
        it(`${name} -> ${outcome}; nothing delivered, nothing changed`, async () => {
          const p = fx.personas[name];
          if ('unread' in row) {
            const fresh = await sendText(s.http, fx.owner, fx.group, 'something unread');
            await fx.memberSocket.waitForType('new_message', (m) => m.id === fresh.id);
          }
          const before = await snapshot();
          const marks = watchMarks();
          for (const payload of row.payloads(p.target)) {
            if (name === 'anonymous') {
              // The frame comes first, before any auth: refused and closed, never answered with data.
              const c = await connect(null);
              c.send(type, payload, 'f1');
              const err = await c.waitForType('error');
              expect(err.payload.code).toBe('unauthorized');
              expect((await c.closed).code).toBe(4401);
              expect(c.frames).toEqual([err]);
            } else if (name === 'disabled user') {
              // The old token opens no new socket, whether in the URL...
              await expect(WsClient.connect(s.base, p.user!.token)).rejects.toMatchObject({ status: 401 });
              // ...or in an auth frame with this frame right behind it.
              const c = await connect(null);
              c.send('auth', { token: p.user!.token }, 'a1');
              c.send(type, payload, 'f1');
              expect((await c.closed).code).toBe(4401);
              expect(c.frames.map((f) => [f.type, f.payload.code])).toEqual([['error', 'unauthorized']]);
              // And the socket that was open when the user was disabled runs nothing more, even
              // when its client ignores the close frame and keeps sending.
              fx.zombie.send(type, payload, randomUUID());
            } else {
              const socket = p.socket!;
              const id = randomUUID();
              const mark = socket.frames.length;
              socket.send(type, payload, id);
              const err = await socket.waitFor((f) => f.id === id && f.type === 'error');
              expect(err.payload.code, JSON.stringify(err)).toBe('not_found');
              await settle(50);
              const got = socket.frames.slice(mark);
              // Only replies to this frame: the refusal, and what a refusal may carry.
              expect(
                got.filter((f) => f !== err && !(f.id === id && 'alsoReplies' in row && row.alsoReplies?.(f))),
              ).toEqual([]);
              for (const f of got) expectNoSecrets(JSON.stringify(f), secretsFor(p, fx.textSecrets), `${name} ${type}`);
            }
          }
          await settle(100);
          expect(leaked(marks, p.user?.id ?? null), 'delivered to the group').toEqual([]);
          expect(await snapshot()).toEqual(before);
        });
      }

      if (row.scope === 'conversation' && row.control) {
        const control = row.control;
        it(`control: the same frame from a member of the twin group works`, async () => {
          // Something unread for the member, so their watermark can move.
          if (control.event === 'receipt_update') await sendText(s.http, fx.owner, fx.control.conversationId, 'unread');
          const [payload] = row.payloads(fx.control);
          const id = randomUUID();
          const ownerMark = fx.ownerSocket.frames.length;
          fx.memberSocket.send(type, payload, id);
          if (control.reply) expect((await fx.memberSocket.waitFor((f) => f.id === id)).type).toBe(control.reply);
          if (control.event) {
            await fx.ownerSocket.waitFor(
              (f) =>
                f.type === control.event &&
                f.payload.conversation_id === fx.control.conversationId &&
                fx.ownerSocket.frames.indexOf(f) >= ownerMark,
            );
          }
          await settle(50);
          expect(fx.memberSocket.frames.filter((f) => f.id === id && f.type === 'error')).toEqual([]);
        });
      }
      if (row.scope === 'user') {
        it(`control: a signed-in socket gets ${row.reply}`, async () => {
          const [payload] = row.payloads(fx.control);
          expect((await fx.memberSocket.request(type, payload)).type).toBe(row.reply);
        });
      }
    });
  }

  it('control: the call frames refused above work for the call participants', async () => {
    const o = fx.ownerSocket;
    const m = fx.memberSocket;
    const callId = fx.control.callId;
    m.send('call_answer', { call_id: callId, answer });
    expect((await o.waitForType('call_answer', (p) => p.call_id === callId)).payload.answer).toEqual(answer);
    o.send('ice_candidate', { call_id: callId, candidate: 'from-owner' });
    expect((await m.waitForType('ice_candidate', (p) => p.call_id === callId)).payload.candidate).toBe('from-owner');
    o.send('call_end', { call_id: callId });
    await m.waitForType('call_end', (p) => p.call_id === callId);

    const declined = randomUUID();
    o.send('call_offer', { call_id: declined, conversation_id: fx.control.directId, media: 'audio', offer });
    await m.waitForType('call_offer', (p) => p.call_id === declined);
    m.send('call_decline', { call_id: declined });
    await o.waitForType('call_decline', (p) => p.call_id === declined);

    const cancelled = randomUUID();
    o.send('call_offer', { call_id: cancelled, conversation_id: fx.control.directId, media: 'audio', offer });
    await m.waitForType('call_offer', (p) => p.call_id === cancelled);
    o.send('call_cancel', { call_id: cancelled });
    await m.waitForType('call_cancel', (p) => p.call_id === cancelled);
  });

  it('the zombie socket of the disabled user closes with 4403 once its client reads again', async () => {
    fx.zombie.ws.resume();
    expect((await fx.zombie.closed).code).toBe(4403);
  });

  it('a member removed while typing is refused like any non-member; the others hear the typing stop', async () => {
    const [owner, typist] = await createUsers(s.http, 2);
    const group = await createGroup(s.http, owner, [typist]);
    const [o, t] = await Promise.all([connect(owner.token), connect(typist.token)]);
    t.send('typing', { conversation_id: group, is_typing: true });
    await o.waitForType('typing', (p) => p.user_id === typist.id && p.is_typing);
    expect((await s.http.del(`/api/conversations/${group}/members/${typist.id}`, owner.token)).status).toBe(204);
    await t.waitForType('conversation_updated');
    const mark = o.frames.length;
    for (const isTyping of [true, false]) {
      const id = randomUUID();
      t.send('typing', { conversation_id: group, is_typing: isTyping }, id);
      await settle(100);
      const replies = t.frames.filter((f) => f.id === id);
      expect(
        replies.map((f) => [f.type, f.payload.code]),
        `typing ${isTyping} after removal`,
      ).toEqual([['error', 'not_found']]);
    }
    // The others were told the typing started: they are told once that it stopped, nothing more.
    expect(o.frames.slice(mark).filter((f) => f.type === 'typing' && f.payload.user_id === typist.id)).toEqual([
      { type: 'typing', payload: { conversation_id: group, user_id: typist.id, is_typing: false } },
    ]);
  });
});
