/**
 * Hardening, item 5: the fan-out audit. In a group whose membership changes, every event about
 * a conversation that any socket receives went to a member of that moment.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ServerPayloads, type ServerFrameType } from '../../protocol/frames.js';
import { createGroup, createUsers, sendText, uniqueName, type TestUser } from '../helpers/factories.js';
import { settle, type WsClient } from '../helpers/ws.js';
import { s, useAuthzServer, connect } from './authz-kit.js';

useAuthzServer();

/**
 * Whom each server frame type concerns, so the audit knows whose membership to check:
 * - session: the socket's own affairs (ready, pong, errors about its own frames);
 * - conversation: payload.conversation_id; conversations: each payload.conversations[].conversation_id;
 * - call: payload.call_id (the participants of that call);
 * - contact: payload.user_id (presence: only people who share a conversation with that user);
 * - self: payload.id, the socket's own user (their account, to their own devices only).
 */
const SERVER_FRAMES = {
  ready: 'session',
  pong: 'session',
  error: 'session',
  resync: 'session',
  message_ack: 'conversation',
  new_message: 'conversation',
  message_updated: 'conversation',
  typing: 'conversation',
  receipt_update: 'conversation',
  conversation_created: 'conversation',
  conversation_updated: 'conversation',
  call_offer: 'conversation',
  sync_result: 'conversations',
  presence_update: 'contact',
  call_ringing: 'call',
  call_busy: 'call',
  call_answer: 'call',
  call_answered_elsewhere: 'call',
  ice_candidate: 'call',
  call_media: 'call',
  call_decline: 'call',
  call_cancel: 'call',
  call_end: 'call',
  call_missed: 'call',
  self_updated: 'self',
} satisfies Record<ServerFrameType, 'session' | 'conversation' | 'conversations' | 'call' | 'contact' | 'self'>;

describe('fan-out audit', () => {
  it('knows whom every server frame type concerns', () => {
    expect(Object.keys(SERVER_FRAMES).sort()).toEqual(Object.keys(ServerPayloads).sort());
  });

  it('every event a socket receives about a conversation went to a member of that moment', async () => {
    const users = await createUsers(s.http, 5);
    const [owner, a, b, c, d] = users;
    const who = new Map(users.map((u, i) => [u.id, ['owner', 'A', 'B', 'C (outsider)', 'D'][i]!]));
    const group = await createGroup(s.http, owner, [a, b], uniqueName('Audit '));
    const texts: string[] = [];

    // The timeline: each phase has the members of that moment; a membership change also
    // tells the person it concerns (the notice itself) and, to one who leaves, their own
    // "left" line (stored while they were still a member), and nothing else.
    interface Phase {
      name: string;
      members: Set<string>;
      notice?: string;
      marks: number[];
    }
    const phases: Phase[] = [];
    let sockets: WsClient[] = [];
    const enter = async (name: string, members: TestUser[], notice?: TestUser) => {
      await settle(150); // what the last phase caused has arrived
      phases.push({
        name,
        members: new Set(members.map((u) => u.id)),
        notice: notice?.id,
        marks: sockets.map((x) => x.frames.length),
      });
    };
    const say = async (sock: WsClient, content: string) => {
      texts.push(content);
      const ack = await sock.request('chat_message', { conversation_id: group, content, client_id: randomUUID() });
      expect(ack.type).toBe('message_ack');
      return ack.payload as { id: string; seq: number };
    };
    const post = async (u: TestUser, content: string) => {
      texts.push(content);
      return sendText(s.http, u, group, content);
    };

    await enter('start', [owner, a, b]);
    sockets = await Promise.all(users.map((u) => connect(u.token)));
    phases[0]!.marks = sockets.map(() => 0);
    const [so, sa, sb, sc, sd] = sockets as [WsClient, WsClient, WsClient, WsClient, WsClient];

    await enter('chat', [owner, a, b]);
    await say(so, 'm1 from owner');
    const m2 = await post(a, 'm2 from A');
    sa.send('typing', { conversation_id: group, is_typing: true });
    await so.waitForType('typing', (p) => p.user_id === a.id && p.is_typing);
    sa.send('typing', { conversation_id: group, is_typing: false });
    sb.send('delivered', { conversation_id: group, seq: m2.seq });
    sb.send('read_receipt', { message_id: m2.id });
    expect((await s.http.post(`/api/conversations/${group}/read`, { seq: m2.seq }, owner.token)).status).toBe(200);
    await sa.waitForType('receipt_update', (p) => p.user_id === b.id && p.read_seq === m2.seq);
    const early = await sb.request('sync', { conversations: [{ conversation_id: group, after_seq: 0 }] });
    expect(early.payload.conversations).toHaveLength(1);

    await enter('D added', [owner, a, b, d]);
    expect((await s.http.post(`/api/conversations/${group}/members`, { user_ids: [d.id] }, owner.token)).status).toBe(
      200,
    );
    await sd.waitForType('conversation_updated', (p) => p.conversation_id === group);

    await enter('chat with D', [owner, a, b, d]);
    const m3 = await say(sd, 'm3 from D');
    // B starts typing and is removed before stopping.
    sb.send('typing', { conversation_id: group, is_typing: true });
    await sd.waitForType('typing', (p) => p.user_id === b.id && p.is_typing);
    sb.send('read_receipt', { conversation_id: group, seq: m3.seq });
    sa.send('delivered', { conversation_id: group, seq: m3.seq });
    await sd.waitForType('receipt_update', (p) => p.user_id === b.id && p.read_seq === m3.seq);
    await so.waitForType('receipt_update', (p) => p.user_id === a.id && p.delivered_seq === m3.seq);

    await enter('B removed', [owner, a, d], b);
    expect((await s.http.del(`/api/conversations/${group}/members/${b.id}`, owner.token)).status).toBe(204);
    await sb.waitForType('conversation_updated', (p) => p.conversation_id === group);

    await enter('B and C try', [owner, a, d]);
    for (const [sock, user] of [
      [sb, b],
      [sc, c],
    ] as const) {
      const attempts: [string, unknown][] = [
        [
          'chat_message',
          { conversation_id: group, content: `intrusion by ${who.get(user.id)}`, client_id: randomUUID() },
        ],
        ['delivered', { conversation_id: group, seq: m3.seq }],
        ['read_receipt', { message_id: m3.id }],
        ['read_receipt', { conversation_id: group, seq: m3.seq }],
        ['sync', { conversations: [{ conversation_id: group, after_seq: 0 }] }],
      ];
      for (const [type, payload] of attempts) {
        const id = randomUUID();
        sock.send(type, payload, id);
        expect((await sock.waitFor((f) => f.id === id && f.type === 'error')).payload.code).toBe('not_found');
      }
      sock.send('typing', { conversation_id: group, is_typing: true });
      sock.send('typing', { conversation_id: group, is_typing: false });
      const res = await s.http.post(
        `/api/conversations/${group}/messages`,
        { content: 'rest intrusion', message_type: 'text', client_id: randomUUID() },
        user.token,
      );
      expect(res.status).toBe(404);
      expect((await s.http.get(`/api/conversations/${group}/messages`, user.token)).status).toBe(404);
    }

    await enter('chat after removal', [owner, a, d]);
    await say(so, 'm4 from owner');
    const m5 = await post(a, 'm5 from A');
    sa.send('typing', { conversation_id: group, is_typing: true });
    await sd.waitForType('typing', (p) => p.user_id === a.id && p.is_typing);
    sa.send('typing', { conversation_id: group, is_typing: false });
    sd.send('read_receipt', { conversation_id: group, seq: m5.seq });
    await sa.waitForType('receipt_update', (p) => p.user_id === d.id && p.read_seq === m5.seq);
    // A renames: A's own account to A alone; the group (to its members of now) as changed.
    expect((await s.http.patch('/api/users/me', { display_name: 'A renamed' }, a.token)).status).toBe(200);
    await sa.waitForType('self_updated', (p) => p.display_name === 'A renamed');
    await sd.waitForType('conversation_updated', (p) => p.conversation_id === group);

    await enter('D leaves', [owner, a], d);
    expect((await s.http.del(`/api/conversations/${group}/members/me`, d.token)).status).toBe(204);
    await sd.waitForType('conversation_updated', (p) => p.conversation_id === group);

    await enter('chat after D left', [owner, a]);
    const m6 = await say(sa, 'm6 from A');
    so.send('typing', { conversation_id: group, is_typing: true });
    await sa.waitForType('typing', (p) => p.user_id === owner.id && p.is_typing);
    so.send('typing', { conversation_id: group, is_typing: false });
    so.send('read_receipt', { conversation_id: group, seq: m6.seq });
    await sa.waitForType('receipt_update', (p) => p.user_id === owner.id && p.read_seq === m6.seq);
    await enter('end', [owner, a]);

    // The audit.
    const ownLeaving = (f: { type: string; payload: any }, me: string) =>
      f.type === 'new_message' &&
      f.payload.message_type === 'event' &&
      f.payload.sender_id === me &&
      JSON.parse(f.payload.content).event === 'left';
    const violations: string[] = [];
    const seenTypes = new Set<string>();
    sockets.forEach((sock, i) => {
      const me = users[i]!.id;
      const name = who.get(me)!;
      for (let k = 0; k < phases.length - 1; k++) {
        const phase = phases[k]!;
        for (const f of sock.frames.slice(phase.marks[i], phases[k + 1]!.marks[i])) {
          seenTypes.add(f.type);
          const scope = SERVER_FRAMES[f.type as ServerFrameType];
          const bad = (why: string) =>
            violations.push(`${name} got ${f.type} during "${phase.name}" (${why}): ${JSON.stringify(f)}`);
          if (!scope) bad('unknown frame type');
          else if (scope === 'session') {
            if (texts.some((t) => JSON.stringify(f).includes(t))) bad('a reply carrying message text');
          } else if (scope === 'call') bad('no call was placed');
          else if (scope === 'self') {
            if (f.payload.id !== me) bad(`the account of ${who.get(f.payload.id as string) ?? f.payload.id}`);
          } else if (scope === 'contact') {
            const subject = f.payload.user_id as string;
            if (!phase.members.has(me) || !phase.members.has(subject))
              bad(`about ${who.get(subject) ?? subject}, no shared conversation`);
          } else {
            const ids: string[] =
              scope === 'conversations'
                ? f.payload.conversations.map((x: { conversation_id: string }) => x.conversation_id)
                : [f.payload.conversation_id];
            for (const id of ids) {
              if (id !== group) bad('a conversation this user was never in');
              else if (phase.members.has(me)) continue;
              else if (phase.notice === me && (f.type === 'conversation_updated' || ownLeaving(f, me))) continue;
              else bad('not a member at that moment');
            }
          }
        }
      }
    });
    expect(violations).toEqual([]);

    // Not vacuous: the events were flowing to the members all along.
    for (const type of [
      'new_message',
      'typing',
      'receipt_update',
      'conversation_updated',
      'presence_update',
      'message_ack',
      'sync_result',
      'error',
      'self_updated',
    ]) {
      expect(seenTypes, type).toContain(type);
    }
    const newMessages = (sock: WsClient) =>
      sock
        .ofType('new_message')
        .map((f) =>
          f.payload.message_type === 'event'
            ? `${who.get(f.payload.sender_id)}: ${f.payload.content}`
            : (f.payload.content as string),
        );
    const added = `owner: {"event":"added","user_ids":["${d.id}"]}`;
    const removed = `owner: {"event":"removed","user_ids":["${b.id}"]}`;
    const left = 'D: {"event":"left"}';
    const all = [...texts.slice(0, 2), added, texts[2], removed, ...texts.slice(3, 5), left, ...texts.slice(5)];
    expect(newMessages(so)).toEqual(all);
    expect(newMessages(sa)).toEqual(all);
    expect(newMessages(sb)).toEqual(['m1 from owner', 'm2 from A', added, 'm3 from D']);
    expect(newMessages(sd)).toEqual([added, 'm3 from D', removed, 'm4 from owner', 'm5 from A', left]);
    expect(newMessages(sc)).toEqual([]);
    // The outsider got only its own refusals (and an empty sync).
    expect(
      sc.frames.filter(
        (f) =>
          !['ready', 'error'].includes(f.type) && !(f.type === 'sync_result' && f.payload.conversations.length === 0),
      ),
    ).toEqual([]);
  });
});
