/**
 * The REST authorization matrix (authz-rest.test.ts): one row per registered route, saying who
 * may call it and what the persona's request and the member's control look like.
 */
import { randomUUID } from 'node:crypto';
import type { Target } from './authz-kit.js';

export interface Req {
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
export type RouteRow =
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

export const ROUTES: Record<string, RouteRow> = {
  'GET /api/ws': { public: 'WebSocket upgrade; a socket may open unauthenticated, every frame is in the frame matrix' },
  'GET /healthz': { public: 'liveness probe, {status} only' },
  'GET /readyz': { public: 'readiness probe, component health only' },
  'OPTIONS *': { public: 'CORS preflight (@fastify/cors): headers only, and only for ALLOWED_ORIGINS' },
  'GET /api/docs': { public: 'the API description (no data)' },
  'GET /api/docs/json': { public: 'the OpenAPI document (no data)' },
  'GET /metrics': { public: 'Prometheus metrics, no user data; METRICS_TOKEN protects it in production' },
  'POST /api/auth/register': { public: 'creates an account' },
  'POST /api/auth/login': { public: 'signs in; a disabled account is refused (tested in authz-rest.test.ts)' },
  'POST /api/auth/refresh': {
    public: 'the refresh token in the body is the credential; disabled is refused (authz-rest.test.ts)',
  },
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
  'PUT /api/users/me/avatar': {
    scope: 'user',
    why: "the caller's own photo: anonymous + disabled only (the control reaches the handler: a JSON body is refused with 415, photos are multipart)",
    request: () => ({ method: 'PUT', path: '/api/users/me/avatar', body: { file: 'not multipart' } }),
    ok: 415,
  },
  'DELETE /api/users/me/avatar': {
    scope: 'user',
    why: "removes the caller's own photo (none here: no effect): anonymous + disabled only",
    request: () => ({ method: 'DELETE', path: '/api/users/me/avatar' }),
    ok: 200,
  },
  'GET /api/users/:id/avatar/:avatar_id': {
    scope: 'user',
    why: 'a public photo any signed-in user may see, as they may the name: anonymous + disabled only',
    request: (t) => ({ method: 'GET', path: `/api/users/${t.ownerId}/avatar/${t.avatarId}` }),
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
  // The photo is seen (GET) before its control removes it (DELETE): rows run in this order.
  'GET /api/conversations/:id/avatar/:avatar_id': {
    scope: 'conversation',
    request: (t) => ({ method: 'GET', path: `/api/conversations/${t.conversationId}/avatar/${t.groupAvatarId}` }),
    ok: 200,
  },
  'PUT /api/conversations/:id/avatar': {
    scope: 'conversation',
    // The control reaches the handler: a JSON body is refused with 415, photos are multipart.
    request: (t) => ({ method: 'PUT', path: `/api/conversations/${t.conversationId}/avatar`, body: { file: 'x' } }),
    ok: 415,
  },
  'DELETE /api/conversations/:id/avatar': {
    scope: 'conversation',
    request: (t) => ({ method: 'DELETE', path: `/api/conversations/${t.conversationId}/avatar` }),
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
export const routeKey = (r: { method: string; url: string }) =>
  r.method === 'GET' && r.url.startsWith('/assets/') ? 'GET /assets/*' : `${r.method} ${r.url}`;

export const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
