import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { HttpClient } from './http.js';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  display_name: string;
  password: string;
  token: string;
  refresh_token: string;
}

let n = 0;
const unique = () => `${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function createUser(http: HttpClient, overrides: Partial<Record<string, string>> = {}): Promise<TestUser> {
  const username = overrides.username ?? `u_${unique()}`;
  const body = {
    username,
    email: overrides.email ?? `${username}@example.test`,
    password: overrides.password ?? 'correct horse battery',
    display_name: overrides.display_name ?? `User ${username}`,
  };
  const res = await http.post('/api/auth/register', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...res.body.user, password: body.password, token: res.body.token, refresh_token: res.body.refresh_token };
}

type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [T, ...R]>;

/** `n` new users at once, typed as a tuple so they destructure cleanly. */
export const createUsers = <N extends number>(http: HttpClient, n: N) =>
  Promise.all(Array.from({ length: n }, () => createUser(http))) as Promise<Tuple<TestUser, N>>;

export async function createDirect(http: HttpClient, a: TestUser, b: TestUser): Promise<string> {
  const res = await http.post('/api/conversations', { type: 'one_to_one', member_ids: [b.id] }, a.token);
  expect([200, 201]).toContain(res.status);
  return res.body.id;
}

export async function createGroup(
  http: HttpClient,
  owner: TestUser,
  members: TestUser[],
  title = 'Group',
): Promise<string> {
  const res = await http.post(
    '/api/conversations',
    { type: 'group', title, member_ids: members.map((m) => m.id) },
    owner.token,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export async function sendText(http: HttpClient, user: TestUser, conversationId: string, content: string) {
  const res = await http.post(
    `/api/conversations/${conversationId}/messages`,
    { content, message_type: 'text', client_id: randomUUID() },
    user.token,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; seq: number; content: string };
}

/** A short token no other call in this process returns (usernames, titles, client ids). */
export const uniqueName = (prefix = 'x') => `${prefix}${unique()}`;

/** POST a message without asserting the outcome (for tests of rejections and races). */
export function postMessage(http: HttpClient, user: Pick<TestUser, 'token'>, conversationId: string, body: unknown) {
  return http.post(`/api/conversations/${conversationId}/messages`, body, user.token);
}

/** The caller's view of one conversation, taken from `GET /api/conversations`. */
export async function listEntry(http: HttpClient, user: Pick<TestUser, 'token'>, conversationId: string) {
  const res = await http.get('/api/conversations', user.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.conversations as any[]).find((c) => c.id === conversationId);
}
