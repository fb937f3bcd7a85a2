/**
 * Hardening, item 5: who may do what, and who hears of it. What the authz tests share: the
 * server, the sockets, and the fixture (one group and its people, as the personas see it).
 *
 * Authorization matrix (authz-rest.test.ts over authz-route-matrix.ts, authz-frames.test.ts
 * over authz-frame-matrix.ts): every registered REST route and every client frame type has a
 * row; each protected row is tried by four personas (anonymous, non-member, removed member,
 * disabled user) and must be refused with no data and no effect. A route or frame type without
 * a row, or a row for a route that is gone, fails the first test of its section.
 *
 * Fan-out audit (authz-fanout.test.ts): in a group whose membership changes, every event about
 * a conversation that any socket receives went to a member of that moment.
 *
 * Modelled on Synapse CVE-2021-39164 (non-members reading a room), Zulip CVE-2022-31017 (events
 * fanned out to users who may not see them) and Rocket.Chat CVE-2021-22911 (socket methods that
 * run without authentication).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { setUserDisabled } from '../../server/users/service.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createGroup, createUsers, sendText, uniqueName, type TestUser } from '../helpers/factories.js';
import { settle, WsClient } from '../helpers/ws.js';

// Live bindings: set by the hooks of useAuthzServer and useFixture, read by the tests.
export let s: TestServer;
export let fx: Fixture;
const opened: WsClient[] = [];

/** The server of one test file; every socket `connect` opened is closed after its tests. */
export function useAuthzServer() {
  beforeAll(async () => {
    // Rate limits out of the way: every refusal the tests see must be an authorization refusal.
    s = await startServer({ WS_SEND_RATE: '1000', WS_SEND_BURST: '1000', CALL_RING_TIMEOUT_MS: '120000' });
  });
  afterAll(async () => {
    for (const c of opened) c.ws.resume();
    await Promise.all(opened.map((c) => c.close()));
    await s?.close();
  });
}

/** Builds the fixture before the tests of the `describe` this is called in (once per file). */
export function useFixture() {
  beforeAll(async () => {
    fx ??= await buildFixture();
  });
}

export async function connect(token: string | null) {
  const c = await WsClient.connect(s.base, token);
  opened.push(c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// The fixture: one group and its people, as the personas see it.
// ---------------------------------------------------------------------------------------------

export const PERSONAS = ['anonymous', 'non-member', 'removed member', 'disabled user'] as const;
export type PersonaName = (typeof PERSONAS)[number];

/** What a request or frame is aimed at. Personas aim at the real group; controls at a twin. */
export interface Target {
  /** A group conversation. */
  conversationId: string;
  /** A conversation the actor would place a call in (a one-to-one, where calls are allowed). */
  directId: string;
  ownerId: string;
  /** A member who is not the owner (role changes). */
  memberId: string;
  /** The member the actor tries to remove. */
  victimId: string;
  /** A seq at or past the last message: a member's watermark would move to the last message. */
  seq: number;
  messageId: string;
  /** Messages the control's actor wrote (the owner over REST, the member over frames): edited and deleted. */
  editRest: string;
  deleteRest: string;
  editFrame: string;
  deleteFrame: string;
  /** An image attached to a message of the group. */
  uploadId: string;
  /** A ringing call between two other people. */
  callId: string;
  /** The owner's profile photo. */
  avatarId: string;
  /** The group's photo. */
  groupAvatarId: string;
  /** A client_id the actor used while still a member (a retry must not echo the stored message). */
  retryClientId?: string;
}

export interface Persona {
  name: PersonaName;
  /** The signed-in user, or null for anonymous. */
  user: TestUser | null;
  /** The id the actor puts where a request names itself (e.g. adding itself to the group). */
  me: string;
  target: Target;
  /** A socket the persona holds open (non-member, removed member). */
  socket?: WsClient;
}

export interface Fixture {
  owner: TestUser;
  member: TestUser;
  removed: TestUser;
  outsider: TestUser;
  disabled: TestUser;
  group: string;
  /** The group, the owner-member one-to-one and the disabled user's one-to-one. */
  conversations: string[];
  control: Target;
  personas: Record<PersonaName, Persona>;
  /** Sockets of the group's remaining members, watching for anything that leaks through. */
  ownerSocket: WsClient;
  memberSocket: WsClient;
  /** The disabled user's socket that was open at the moment of disabling. */
  disabledClose: { code: number; reason: string };
  /** A socket of the disabled user whose client ignores the close frame and keeps sending. */
  zombie: WsClient;
  /** Ids of the protected conversations and call: no frame about them may reach a watcher. */
  protectedIds: string[];
  /** What no refusal may contain: ids, title, members' names, message texts. */
  secrets: string[];
  /** The same without ids (a frame refusal may echo the id its sender named). */
  textSecrets: string[];
}

export const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
export const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };

async function buildFixture(): Promise<Fixture> {
  const [owner, member, removed, outsider, disabled, spare] = await createUsers(s.http, 6);
  // Whoever registered first became an admin; the admin rows' controls promote the owner alone.
  await s.ctx.db.query("UPDATE users SET role = 'user'");
  const title = uniqueName('Secret plans ');
  const group = await createGroup(s.http, owner, [member, removed, disabled], title);
  const texts = [uniqueName('owner secret '), uniqueName('removed secret '), uniqueName('member secret ')];
  const first = await sendText(s.http, owner, group, texts[0]!);
  const removedClientId = randomUUID();
  const byRemoved = await s.http.post(
    `/api/conversations/${group}/messages`,
    { content: texts[1], message_type: 'text', client_id: removedClientId },
    removed.token,
  );
  expect(byRemoved.status).toBe(201);
  const last = await sendText(s.http, member, group, texts[2]!);
  const direct = await createDirect(s.http, owner, member);
  const disabledDirect = await createDirect(s.http, disabled, member);
  texts.push(uniqueName('direct secret '));
  await sendText(s.http, owner, direct, texts[3]!);

  // The twin the controls run against: the same requests from members succeed there.
  const controlId = await createGroup(s.http, owner, [member, spare], uniqueName('Control '));
  const controlMessage = await sendText(s.http, owner, controlId, 'control message');
  const [editRest, deleteRest] = [
    await sendText(s.http, owner, controlId, 'e'),
    await sendText(s.http, owner, controlId, 'd'),
  ];
  const [editFrame, deleteFrame] = [
    await sendText(s.http, member, controlId, 'e'),
    await sendText(s.http, member, controlId, 'd'),
  ];
  const fire = `/api/messages/${controlMessage.id}/reactions/${encodeURIComponent('🔥')}`;
  expect((await s.http.request('PUT', fire, { token: member.token })).status).toBe(200);
  const groupImage = await sendImage(owner, group);
  const controlImage = await sendImage(owner, controlId);
  const avatarId = await setAvatar(owner);
  const [groupAvatarId, controlAvatarId] = [
    await setAvatar(owner, `/api/conversations/${group}/avatar`),
    await setAvatar(owner, `/api/conversations/${controlId}/avatar`),
  ];

  const [ownerSocket, memberSocket, removedSocket, outsiderSocket, disabledSocket, zombie] = await Promise.all([
    connect(owner.token),
    connect(member.token),
    connect(removed.token),
    connect(outsider.token),
    connect(disabled.token),
    connect(disabled.token),
  ]);

  // A call rings between owner and member (the call frames are aimed at it).
  const callId = randomUUID();
  ownerSocket.send('call_offer', { call_id: callId, conversation_id: direct, media: 'audio', offer });
  await ownerSocket.waitForType('call_ringing', (p) => p.call_id === callId);
  await memberSocket.waitForType('call_offer', (p) => p.call_id === callId);

  // The owner removes a member, who keeps their socket and their token.
  expect((await s.http.del(`/api/conversations/${group}/members/${removed.id}`, owner.token)).status).toBe(204);
  await removedSocket.waitForType('conversation_updated', (p) => p.conversation_id === group);

  // A member is disabled: one socket closes normally; the zombie's client stops reading, so it
  // never sees the close frame and keeps sending as a hostile client would.
  zombie.ws.pause();
  await setUserDisabled(s.ctx, disabled.id, true);
  const disabledClose = await disabledSocket.closed;
  await settle();

  const base = {
    conversationId: group,
    ownerId: owner.id,
    memberId: member.id,
    victimId: member.id,
    // Far ahead: a member's watermark would move to the last message, whatever it is by then.
    seq: 1_000_000 + last.seq,
    messageId: first.id,
    editRest: first.id,
    deleteRest: first.id,
    editFrame: last.id,
    deleteFrame: last.id,
    uploadId: groupImage,
    callId,
    avatarId,
    groupAvatarId,
  };
  const control: Target = {
    conversationId: controlId,
    directId: direct,
    ownerId: owner.id,
    memberId: member.id,
    victimId: spare.id,
    seq: 1_000_000,
    messageId: controlMessage.id,
    editRest: editRest.id,
    deleteRest: deleteRest.id,
    editFrame: editFrame.id,
    deleteFrame: deleteFrame.id,
    uploadId: controlImage,
    callId,
    avatarId,
    groupAvatarId: controlAvatarId,
  };
  const personas: Record<PersonaName, Persona> = {
    anonymous: { name: 'anonymous', user: null, me: outsider.id, target: { ...base, directId: direct } },
    'non-member': {
      name: 'non-member',
      user: outsider,
      me: outsider.id,
      target: { ...base, directId: direct },
      socket: outsiderSocket,
    },
    // A removed member was only ever in the group: a call there is what they could try.
    'removed member': {
      name: 'removed member',
      user: removed,
      me: removed.id,
      target: { ...base, directId: group, retryClientId: removedClientId },
      socket: removedSocket,
    },
    // Still a member of the group and of a one-to-one: only the disabling stands in the way.
    'disabled user': {
      name: 'disabled user',
      user: disabled,
      me: disabled.id,
      target: { ...base, directId: disabledDirect },
    },
  };
  const names = [owner, member, disabled].flatMap((u) => [u.id, u.username, u.display_name]);
  const textSecrets = [title, ...texts, ...[owner, member, disabled].flatMap((u) => [u.username, u.display_name])];
  return {
    owner,
    member,
    removed,
    outsider,
    disabled,
    group,
    conversations: [group, direct, disabledDirect],
    control,
    personas,
    ownerSocket,
    memberSocket,
    disabledClose,
    zombie,
    protectedIds: [group, direct, disabledDirect, callId],
    secrets: [group, direct, disabledDirect, callId, title, ...texts, ...names],
    textSecrets,
  };
}

/** Uploads a small PNG as `user` and sends it to the conversation; the upload's id. */
async function sendImage(user: TestUser, conversationId: string): Promise<string> {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#08f' } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'secret-plan.png');
  const res = await fetch(`${s.base}/api/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}` },
    body: form,
  });
  expect(res.status).toBe(201);
  const upload = (await res.json()) as { id: string };
  const sent = await s.http.post(
    `/api/conversations/${conversationId}/messages`,
    { message_type: 'image', attachment_id: upload.id, client_id: randomUUID() },
    user.token,
  );
  expect(sent.status).toBe(201);
  return upload.id;
}

/** Sets a small PNG as `user`'s profile photo (or, by `path`, a group's); its id. */
async function setAvatar(user: TestUser, path = '/api/users/me/avatar'): Promise<string> {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f80' } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'me.png');
  const res = await fetch(s.base + path, {
    method: 'PUT',
    headers: { authorization: `Bearer ${user.token}` },
    body: form,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { avatar_id: string }).avatar_id;
}

/** Everything a refusal must leave as it was: conversations, members, watermarks, messages, calls, users. */
export async function snapshot() {
  const ids = fx.conversations;
  const users = [fx.owner, fx.member, fx.removed, fx.outsider, fx.disabled].map((u) => u.id);
  const { rows } = await s.ctx.db.query(
    `SELECT
       (SELECT json_agg(json_build_object('id', id, 'title', title, 'avatar', avatar_id, 'last_seq', last_seq) ORDER BY id)
          FROM conversations WHERE id = ANY($1::uuid[])) AS conversations,
       (SELECT json_agg(json_build_object('c', conversation_id, 'u', user_id, 'role', role,
                        'delivered', last_delivered_seq, 'read', last_read_seq) ORDER BY conversation_id, user_id)
          FROM conversation_members WHERE conversation_id = ANY($1::uuid[])) AS members,
       (SELECT json_agg(json_build_object('id', id, 'body', body, 'deleted', deleted_at, 'change', change_seq,
                        'reactions', reactions, 'attachment', attachment_id) ORDER BY id)
          FROM messages WHERE conversation_id = ANY($1::uuid[])) AS messages,
       (SELECT count(*) FROM message_reactions r JOIN messages m ON m.id = r.message_id
         WHERE m.conversation_id = ANY($1::uuid[])) AS reactions,
       (SELECT json_agg(id ORDER BY id) FROM uploads WHERE owner_id = ANY($2::uuid[])) AS uploads,
       (SELECT json_agg(json_build_object('id', id, 'state', state) ORDER BY id)
          FROM calls WHERE conversation_id = ANY($1::uuid[])) AS calls,
       (SELECT json_agg(json_build_object('id', id, 'name', display_name, 'relay_only', relay_only) ORDER BY id)
          FROM users WHERE id = ANY($2::uuid[])) AS users`,
    [ids, users],
  );
  return rows[0];
}

export function expectNoSecrets(text: string, secrets: string[], what: string) {
  const lower = text.toLowerCase();
  expect(
    secrets.filter((x) => lower.includes(x.toLowerCase())),
    `${what} must not contain any of it: ${text}`,
  ).toEqual([]);
}

/** Secrets minus the persona's own identity (knowing your own name is no leak). */
export const secretsFor = (p: Persona, list: string[]) =>
  list.filter((x) => !p.user || ![p.user.id, p.user.username, p.user.display_name].includes(x));
