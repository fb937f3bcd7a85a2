/**
 * Hardening, item 5: who may do what, and who hears of it.
 *
 * Authorization matrix: every registered REST route and every client frame type has a row; each
 * protected row is tried by four personas (anonymous, non-member, removed member, disabled user)
 * and must be refused with no data and no effect. A route or frame type without a row, or a row
 * for a route that is gone, fails the first test of its section.
 *
 * Fan-out audit: in a group whose membership changes, every event about a conversation that any
 * socket receives went to a member of that moment.
 *
 * Modelled on Synapse CVE-2021-39164 (non-members reading a room), Zulip CVE-2022-31017 (events
 * fanned out to users who may not see them) and Rocket.Chat CVE-2021-22911 (socket methods that
 * run without authentication).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import {
  CLIENT_FRAME_TYPES,
  ServerPayloads,
  type ClientFrameType,
  type ServerFrameType,
} from '../../protocol/frames.js';
import { setUserDisabled } from '../../server/users/service.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createGroup, createUsers, sendText, uniqueName, type TestUser } from '../helpers/factories.js';
import type { HttpResponse } from '../helpers/http.js';
import { settle, WsClient, type Frame } from '../helpers/ws.js';

let s: TestServer;
const opened: WsClient[] = [];
beforeAll(async () => {
  // Rate limits out of the way: every refusal below must be an authorization refusal.
  s = await startServer({ WS_SEND_RATE: '1000', WS_SEND_BURST: '1000', CALL_RING_TIMEOUT_MS: '120000' });
});
afterAll(async () => {
  for (const c of opened) c.ws.resume();
  await Promise.all(opened.map((c) => c.close()));
  await s?.close();
});

async function connect(token: string | null) {
  const c = await WsClient.connect(s.base, token);
  opened.push(c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// The fixture: one group and its people, as the personas see it.
// ---------------------------------------------------------------------------------------------

const PERSONAS = ['anonymous', 'non-member', 'removed member', 'disabled user'] as const;
type PersonaName = (typeof PERSONAS)[number];

/** What a request or frame is aimed at. Personas aim at the real group; controls at a twin. */
interface Target {
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
  /** A client_id the actor used while still a member (a retry must not echo the stored message). */
  retryClientId?: string;
}

interface Persona {
  name: PersonaName;
  /** The signed-in user, or null for anonymous. */
  user: TestUser | null;
  /** The id the actor puts where a request names itself (e.g. adding itself to the group). */
  me: string;
  target: Target;
  /** A socket the persona holds open (non-member, removed member). */
  socket?: WsClient;
}

interface Fixture {
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

let fx: Fixture;

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };

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

/** Everything a refusal must leave as it was: conversations, members, watermarks, messages, calls, users. */
async function snapshot() {
  const ids = fx.conversations;
  const users = [fx.owner, fx.member, fx.removed, fx.outsider, fx.disabled].map((u) => u.id);
  const { rows } = await s.ctx.db.query(
    `SELECT
       (SELECT json_agg(json_build_object('id', id, 'title', title, 'last_seq', last_seq) ORDER BY id)
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

function expectNoSecrets(text: string, secrets: string[], what: string) {
  const lower = text.toLowerCase();
  expect(
    secrets.filter((x) => lower.includes(x.toLowerCase())),
    `${what} must not contain any of it: ${text}`,
  ).toEqual([]);
}

/** Secrets minus the persona's own identity (knowing your own name is no leak). */
const secretsFor = (p: Persona, list: string[]) =>
  list.filter((x) => !p.user || ![p.user.id, p.user.username, p.user.display_name].includes(x));

// ---------------------------------------------------------------------------------------------
// REST matrix
// ---------------------------------------------------------------------------------------------

interface Req {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

/**
 * - public: reachable without signing in, for the reason given.
 * - user: about the caller only; refused to anonymous and disabled callers. With `outsiders`,
 *   the non-member and the removed member are served, but with nothing of the group.
 * - conversation: about one conversation; every persona is refused and learns nothing.
 * - admin: administrators only; anonymous and disabled get 401, every other persona 403.
 * `request` gives one or more requests; the first is the one the control replays as a member.
 */
type RouteRow =
  | { public: string }
  | {
      scope: 'user';
      why: string;
      request: (t: Target, me: string) => Req | Req[];
      ok: number;
      outsiders?: 'served without group data';
    }
  | { scope: 'conversation'; request: (t: Target, me: string) => Req | Req[]; ok: number }
  | { scope: 'admin'; request: (t: Target, me: string) => Req | Req[]; ok: number };

const text = (clientId: string = randomUUID()) => ({
  content: 'intruder text',
  message_type: 'text',
  client_id: clientId,
});

const ROUTES: Record<string, RouteRow> = {
  'GET /api/ws': { public: 'WebSocket upgrade; a socket may open unauthenticated, every frame is in the frame matrix' },
  'GET /healthz': { public: 'liveness probe, {status} only' },
  'GET /readyz': { public: 'readiness probe, component health only' },
  'OPTIONS *': { public: 'CORS preflight (@fastify/cors): headers only, and only for ALLOWED_ORIGINS' },
  'GET /api/docs': { public: 'the API description (no data)' },
  'GET /api/docs/json': { public: 'the OpenAPI document (no data)' },
  'GET /metrics': { public: 'Prometheus metrics, no user data; METRICS_TOKEN protects it in production' },
  'POST /api/auth/register': { public: 'creates an account' },
  'POST /api/auth/login': { public: 'signs in; a disabled account is refused (tested below)' },
  'POST /api/auth/refresh': { public: 'the refresh token in the body is the credential; disabled is refused (below)' },
  'POST /api/auth/logout': { public: 'always 204; ends only the session its own token names' },
  'GET /': { public: 'the web client (index.html); no data in it' },
  'GET /index.html': { public: 'the web client; no data in it' },
  'GET /assets/*': { public: 'hashed build assets of the web client, one route per file in web/dist/assets' },

  'GET /api/users/me': {
    scope: 'user',
    why: 'the caller themselves: anonymous + disabled only',
    request: () => ({ method: 'GET', path: '/api/users/me' }),
    ok: 200,
  },
  'PATCH /api/users/me': {
    scope: 'user',
    why: 'the caller themselves: anonymous + disabled only',
    request: () => ({ method: 'PATCH', path: '/api/users/me', body: { display_name: 'Renamed', relay_only: true } }),
    ok: 200,
  },
  'GET /api/users': {
    scope: 'user',
    why: 'the user directory any signed-in user may search: anonymous + disabled only',
    request: () => ({ method: 'GET', path: '/api/users?query=u_' }),
    ok: 200,
  },
  'GET /api/users/:id': {
    scope: 'user',
    why: 'a public profile any signed-in user may read: anonymous + disabled only',
    request: (t) => ({ method: 'GET', path: `/api/users/${t.ownerId}` }),
    ok: 200,
  },
  'POST /api/conversations': {
    scope: 'user',
    why: 'creates a new conversation owned by the caller: anonymous + disabled only',
    request: () => ({
      method: 'POST',
      path: '/api/conversations',
      body: { type: 'group', title: 'Fresh', member_ids: [] },
    }),
    ok: 201,
  },
  'GET /api/conversations': {
    scope: 'user',
    why: "the caller's own list: anonymous + disabled refused; outsiders served without the group",
    request: () => ({ method: 'GET', path: '/api/conversations' }),
    ok: 200,
    outsiders: 'served without group data',
  },
  'GET /api/calls': {
    scope: 'user',
    why: "the caller's own call history: anonymous + disabled refused; outsiders served without the call",
    request: () => ({ method: 'GET', path: '/api/calls' }),
    ok: 200,
    outsiders: 'served without group data',
  },
  'GET /api/calls/ice-servers': {
    scope: 'user',
    why: "the caller's own TURN credentials: anonymous + disabled only",
    request: () => ({ method: 'GET', path: '/api/calls/ice-servers' }),
    ok: 200,
  },

  'POST /api/auth/verify-email': { public: 'the token from the email link is the credential' },
  'POST /api/auth/password-reset/request': { public: 'always 202; says nothing about whether the account exists' },
  'POST /api/auth/password-reset/confirm': { public: 'the token from the email link is the credential' },
  'POST /api/auth/resend-verification': {
    scope: 'user',
    why: "the caller's own address: anonymous + disabled only (the control is past authorization: the resend interval answers 429)",
    request: () => ({ method: 'POST', path: '/api/auth/resend-verification' }),
    ok: 429,
  },
  'POST /api/users/me/password': {
    scope: 'user',
    why: "the caller's own password: anonymous + disabled only (the control reaches the password check: 401 invalid_credentials)",
    request: () => ({
      method: 'POST',
      path: '/api/users/me/password',
      body: { current_password: 'not the password', new_password: 'a new password' },
    }),
    ok: 401,
  },
  'GET /api/sessions': {
    scope: 'user',
    why: "the caller's own sessions: anonymous + disabled only",
    request: () => ({ method: 'GET', path: '/api/sessions' }),
    ok: 200,
  },
  'DELETE /api/sessions': {
    scope: 'user',
    why: "ends the caller's own other sessions: anonymous + disabled only",
    request: () => ({ method: 'DELETE', path: '/api/sessions' }),
    ok: 200,
  },
  'DELETE /api/sessions/:id': {
    scope: 'user',
    why: "ends one of the caller's sessions; anyone else's is 404 (the control names a session that is not theirs)",
    request: (t) => ({ method: 'DELETE', path: `/api/sessions/${t.conversationId}` }),
    ok: 404,
  },
  'GET /api/search': {
    scope: 'user',
    why: "searches the caller's own conversations: anonymous + disabled refused; outsiders find nothing of the group",
    request: () => [
      { method: 'GET', path: '/api/search?q=secret' },
      { method: 'GET', path: '/api/search?q=%22secret%22' },
    ],
    ok: 200,
    outsiders: 'served without group data',
  },
  'GET /api/admin/users': {
    scope: 'admin',
    request: () => ({ method: 'GET', path: '/api/admin/users?query=u_' }),
    ok: 200,
  },
  'GET /api/admin/stats': { scope: 'admin', request: () => ({ method: 'GET', path: '/api/admin/stats' }), ok: 200 },
  'POST /api/admin/users/:id/disable': {
    scope: 'admin',
    // The control disables a user who does not exist (404): nobody in the fixture is touched.
    request: () => ({ method: 'POST', path: '/api/admin/users/00000000-0000-4000-8000-000000000000/disable' }),
    ok: 404,
  },
  'POST /api/admin/users/:id/enable': {
    scope: 'admin',
    request: () => ({ method: 'POST', path: '/api/admin/users/00000000-0000-4000-8000-000000000000/enable' }),
    ok: 404,
  },

  'GET /api/conversations/:id': {
    scope: 'conversation',
    request: (t) => ({ method: 'GET', path: `/api/conversations/${t.conversationId}` }),
    ok: 200,
  },
  'PATCH /api/conversations/:id': {
    scope: 'conversation',
    request: (t) => ({ method: 'PATCH', path: `/api/conversations/${t.conversationId}`, body: { title: 'Hijacked' } }),
    ok: 200,
  },
  'POST /api/conversations/:id/members': {
    scope: 'conversation',
    // The intruder adds themselves.
    request: (t, me) => ({
      method: 'POST',
      path: `/api/conversations/${t.conversationId}/members`,
      body: { user_ids: [me] },
    }),
    ok: 200,
  },
  'DELETE /api/conversations/:id/members/:user_id': {
    scope: 'conversation',
    request: (t) => [
      { method: 'DELETE', path: `/api/conversations/${t.conversationId}/members/${t.victimId}` },
      { method: 'DELETE', path: `/api/conversations/${t.conversationId}/members/me` },
    ],
    ok: 204,
  },
  'PATCH /api/conversations/:id/members/:user_id': {
    scope: 'conversation',
    request: (t, me) => [
      {
        method: 'PATCH',
        path: `/api/conversations/${t.conversationId}/members/${t.memberId}`,
        body: { role: 'admin' },
      },
      { method: 'PATCH', path: `/api/conversations/${t.conversationId}/members/${me}`, body: { role: 'admin' } },
    ],
    ok: 200,
  },
  'GET /api/conversations/:id/messages': {
    scope: 'conversation',
    request: (t) => [
      { method: 'GET', path: `/api/conversations/${t.conversationId}/messages` },
      { method: 'GET', path: `/api/conversations/${t.conversationId}/messages?after_seq=0&limit=100` },
      { method: 'GET', path: `/api/conversations/${t.conversationId}/messages?before_seq=${t.seq + 1}` },
    ],
    ok: 200,
  },
  'POST /api/conversations/:id/messages': {
    scope: 'conversation',
    request: (t) => [
      { method: 'POST', path: `/api/conversations/${t.conversationId}/messages`, body: text() },
      // A removed member retries a send from when they were a member: no echo of the stored message.
      ...(t.retryClientId
        ? [
            {
              method: 'POST' as const,
              path: `/api/conversations/${t.conversationId}/messages`,
              body: text(t.retryClientId),
            },
          ]
        : []),
    ],
    ok: 201,
  },
  'GET /api/conversations/:id/changes': {
    scope: 'conversation',
    request: (t) => ({ method: 'GET', path: `/api/conversations/${t.conversationId}/changes?after_change_seq=0` }),
    ok: 200,
  },
  'PATCH /api/messages/:id': {
    scope: 'conversation',
    request: (t) => ({ method: 'PATCH', path: `/api/messages/${t.editRest}`, body: { content: 'rewritten' } }),
    ok: 200,
  },
  'PUT /api/messages/:id/reactions/:emoji': {
    scope: 'conversation',
    request: (t) => ({ method: 'PUT', path: `/api/messages/${t.messageId}/reactions/${encodeURIComponent('👍')}` }),
    ok: 200,
  },
  'DELETE /api/messages/:id/reactions/:emoji': {
    scope: 'conversation',
    request: (t) => ({ method: 'DELETE', path: `/api/messages/${t.messageId}/reactions/${encodeURIComponent('👍')}` }),
    ok: 200,
  },
  'DELETE /api/messages/:id': {
    scope: 'conversation',
    request: (t) => ({ method: 'DELETE', path: `/api/messages/${t.deleteRest}` }),
    ok: 200,
  },
  'GET /api/uploads/:id': {
    scope: 'conversation',
    request: (t) => ({ method: 'GET', path: `/api/uploads/${t.uploadId}` }),
    ok: 200,
  },
  'GET /api/uploads/:id/thumbnail': {
    scope: 'conversation',
    request: (t) => ({ method: 'GET', path: `/api/uploads/${t.uploadId}/thumbnail` }),
    ok: 200,
  },
  'POST /api/uploads': {
    scope: 'user',
    why: "stores a file of the caller's own, readable by nobody else until sent: anonymous + disabled only (the control reaches the handler: a JSON body is refused with 415, uploads are multipart)",
    request: () => ({ method: 'POST', path: '/api/uploads', body: { file: 'not multipart' } }),
    ok: 415,
  },
  'POST /api/conversations/:id/read': {
    scope: 'conversation',
    request: (t) => ({ method: 'POST', path: `/api/conversations/${t.conversationId}/read`, body: { seq: t.seq } }),
    ok: 200,
  },
};

/** Static files are registered one route per file; their names change with every build. */
const routeKey = (r: { method: string; url: string }) =>
  r.method === 'GET' && r.url.startsWith('/assets/') ? 'GET /assets/*' : `${r.method} ${r.url}`;

const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

function call(req: Req, token?: string): Promise<HttpResponse> {
  return s.http.request(req.method, req.path, { token, body: req.body });
}

function tokenOf(p: Persona): string | undefined {
  return p.user?.token;
}

async function expectRefused(res: HttpResponse, status: number, code: string, p: Persona, req: Req) {
  const what = `${p.name}: ${req.method} ${req.path}`;
  expect(res.status, `${what} -> ${res.text}`).toBe(status);
  expect(res.body, what).toEqual({ error: { code, message: expect.any(String) } });
  expectNoSecrets(res.text, secretsFor(p, fx.secrets), what);
}

describe('authorization matrix: REST', () => {
  beforeAll(async () => {
    fx = await buildFixture();
  });

  it('has exactly one row per registered route (a new route without a row fails, so does a stale row)', () => {
    const registered = [...new Set(s.routes.filter((r) => r.method !== 'HEAD').map(routeKey))].sort();
    expect(registered).toEqual(Object.keys(ROUTES).sort());
  });

  it('public GET routes answer an anonymous caller with nothing of any conversation', async () => {
    const paths = Object.entries(ROUTES)
      .filter(([key, row]) => 'public' in row && key.startsWith('GET ') && !/[:*]/.test(key) && key !== 'GET /api/ws')
      .map(([key]) => key.slice(4));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      const res = await s.http.get(path);
      expect(res.status, path).toBeLessThan(500);
      expectNoSecrets(res.text, fx.secrets, `anonymous GET ${path}`);
    }
  });

  for (const [key, row] of Object.entries(ROUTES)) {
    if ('public' in row) continue;
    const applies = (name: PersonaName) =>
      row.scope === 'conversation' ||
      row.scope === 'admin' ||
      (row.scope === 'user' && row.outsiders) ||
      name === 'anonymous' ||
      name === 'disabled user';

    describe(key, () => {
      for (const name of PERSONAS.filter(applies)) {
        const expected: { status: number; code?: string } =
          name === 'anonymous' || name === 'disabled user'
            ? { status: 401, code: 'unauthorized' }
            : row.scope === 'conversation'
              ? { status: 404, code: 'not_found' }
              : row.scope === 'admin'
                ? { status: 403, code: 'forbidden' }
                : { status: row.ok };
        const outcome = expected.code
          ? `${expected.status} ${expected.code}`
          : `${expected.status}, about themselves only`;
        it(`${name} -> ${outcome}, no data, no effect`, async () => {
          const p = fx.personas[name];
          const before = await snapshot();
          for (const req of asList(row.request(p.target, p.me))) {
            if (!expected.code) {
              const res = await call(req, tokenOf(p));
              expect(res.status, res.text).toBe(expected.status);
              expectNoSecrets(res.text, secretsFor(p, fx.secrets), `${name}: ${req.method} ${req.path}`);
              continue;
            }
            await expectRefused(await call(req, tokenOf(p)), expected.status, expected.code, p, req);
            // Anonymous also with a token that is not one.
            if (name === 'anonymous') await expectRefused(await call(req, 'not-a-token'), 401, 'unauthorized', p, req);
          }
          expect(await snapshot()).toEqual(before);
        });
      }

      const who = { conversation: 'the group owner', admin: 'an administrator', user: 'a signed-in user' }[row.scope];
      it(`control: the same request from ${who} succeeds (${row.ok})`, async () => {
        const [req] = asList(row.request(fx.control, fx.owner.id));
        if (row.scope === 'admin') await s.ctx.db.query("UPDATE users SET role = 'admin' WHERE id = $1", [fx.owner.id]);
        const token = row.scope === 'user' ? fx.outsider.token : fx.owner.token;
        const res = await call(req!, token);
        expect(res.status, res.text).toBe(row.ok);
      });
    });
  }

  it('a disabled user cannot sign in again or refresh the session they had', async () => {
    const login = await s.http.post('/api/auth/login', { email: fx.disabled.email, password: fx.disabled.password });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('invalid_credentials');
    const refreshed = await s.http.post('/api/auth/refresh', { refresh_token: fx.disabled.refresh_token });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error.code).toBe('unauthorized');
    expectNoSecrets(login.text + refreshed.text, secretsFor(fx.personas['disabled user'], fx.secrets), 'auth');
  });
});

// ---------------------------------------------------------------------------------------------
// Frame matrix
// ---------------------------------------------------------------------------------------------

/**
 * - special: the auth frame itself (tested on its own below).
 * - user: not about any conversation; refused to anonymous and disabled sockets only.
 * - conversation / call: about a conversation or a call; every persona is refused with
 *   `not_found` and nothing reaches anyone. `alsoReplies` are the replies a refusal may carry
 *   (sync answers with an empty result before its error). `control` is what a member gets for
 *   the first payload aimed at the twin group (call frames have their own control).
 */
type FrameRow =
  | { special: string }
  | { scope: 'user'; why: string; payloads: (t: Target) => unknown[]; reply: ServerFrameType }
  | {
      scope: 'conversation' | 'call';
      payloads: (t: Target) => unknown[];
      alsoReplies?: (f: Frame) => boolean;
      /** Before each persona tries, the owner posts a message: the group has something unread. */
      unread?: true;
      control?: { reply?: ServerFrameType; event?: ServerFrameType };
    };

const FRAMES = {
  auth: { special: 'authenticates the socket; bad, disabled and repeated auth are tested on their own' },
  chat_message: {
    scope: 'conversation',
    payloads: (t) => [
      { conversation_id: t.conversationId, content: 'intruder frame', message_type: 'text', client_id: randomUUID() },
      ...(t.retryClientId
        ? [{ conversation_id: t.conversationId, content: 'retry', message_type: 'text', client_id: t.retryClientId }]
        : []),
    ],
    control: { reply: 'message_ack', event: 'new_message' },
  },
  message_edit: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.editFrame, content: 'rewritten by frame' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  message_delete: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.deleteFrame }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  reaction_add: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.messageId, emoji: '🎉' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  reaction_remove: {
    scope: 'conversation',
    // The member's control has a reaction of theirs to take (put there by the fixture).
    payloads: (t) => [{ message_id: t.messageId, emoji: '🔥' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  typing: {
    scope: 'conversation',
    payloads: (t) => [
      { conversation_id: t.conversationId, is_typing: true },
      { conversation_id: t.conversationId, is_typing: false },
    ],
    control: { event: 'typing' },
  },
  delivered: {
    scope: 'conversation',
    payloads: (t) => [{ conversation_id: t.conversationId, seq: t.seq }],
    unread: true,
    control: { event: 'receipt_update' },
  },
  read_receipt: {
    scope: 'conversation',
    payloads: (t) => [{ conversation_id: t.conversationId, seq: t.seq }, { message_id: t.messageId }],
    unread: true,
    control: { event: 'receipt_update' },
  },
  sync: {
    scope: 'conversation',
    payloads: (t) => [{ conversations: [{ conversation_id: t.conversationId, after_seq: 0 }] }],
    alsoReplies: (f) => f.type === 'sync_result' && f.payload.conversations.length === 0,
    control: { reply: 'sync_result' },
  },
  ping: {
    scope: 'user',
    why: 'about no conversation (the reply is the server time): anonymous + disabled only',
    payloads: () => [{}],
    reply: 'pong',
  },
  call_offer: {
    scope: 'call',
    payloads: (t) => [{ call_id: randomUUID(), conversation_id: t.directId, media: 'audio', offer }],
  },
  call_answer: { scope: 'call', payloads: (t) => [{ call_id: t.callId, answer }] },
  ice_candidate: {
    scope: 'call',
    payloads: (t) => [{ call_id: t.callId, candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' }],
  },
  call_decline: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  call_cancel: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  call_end: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
} satisfies Record<ClientFrameType, FrameRow>;

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
  beforeAll(async () => {
    fx ??= await buildFixture();
  });

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

  it('a member removed while typing is refused like any non-member', async () => {
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
    expect(o.frames.slice(mark).filter((f) => f.type === 'typing' && f.payload.user_id === typist.id)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Fan-out audit
// ---------------------------------------------------------------------------------------------

/**
 * Whom each server frame type concerns, so the audit knows whose membership to check:
 * - session: the socket's own affairs (ready, pong, errors about its own frames);
 * - conversation: payload.conversation_id; conversations: each payload.conversations[].conversation_id;
 * - call: payload.call_id (the participants of that call);
 * - contact: payload.user_id (presence: only people who share a conversation with that user).
 */
const SERVER_FRAMES = {
  ready: 'session',
  pong: 'session',
  error: 'session',
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
  call_decline: 'call',
  call_cancel: 'call',
  call_end: 'call',
  call_missed: 'call',
} satisfies Record<ServerFrameType, 'session' | 'conversation' | 'conversations' | 'call' | 'contact'>;

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
    // tells the person it concerns (the notice itself), and nothing else.
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
          else if (scope === 'contact') {
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
              else if (phase.notice === me && f.type === 'conversation_updated') continue;
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
    ]) {
      expect(seenTypes, type).toContain(type);
    }
    const newMessages = (sock: WsClient) => sock.ofType('new_message').map((f) => f.payload.content as string);
    expect(newMessages(so)).toEqual(texts);
    expect(newMessages(sa)).toEqual(texts);
    expect(newMessages(sb)).toEqual(['m1 from owner', 'm2 from A', 'm3 from D']);
    expect(newMessages(sd)).toEqual(['m3 from D', 'm4 from owner', 'm5 from A']);
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
