import { expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { uniq } from './helpers.js';

/** People and messages made over the server's REST API, without a browser (`base`: its URL, once known). */
export function restOf(base: () => string) {
  async function apiUser(name: string) {
    const username = uniq('rest');
    const res = await fetch(`${base()}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username,
        email: `${username}@example.test`,
        password: 'correct horse',
        display_name: name,
      }),
    });
    const body = (await res.json()) as { token: string; user: { id: string } };
    return { token: body.token, id: body.user.id };
  }

  async function directChat(token: string, otherId: string) {
    const res = await fetch(`${base()}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: 'one_to_one', member_ids: [otherId] }),
    });
    return (await res.json()) as { id: string };
  }

  async function post(token: string, conversationId: string, content: string) {
    const res = await fetch(`${base()}/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ content, message_type: 'text', client_id: randomUUID() }),
    });
    expect(res.status).toBe(201);
  }

  return { apiUser, directChat, post };
}

/** The signed-in user's id, as the page keeps it. */
export const myId = (page: Page) =>
  page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('chatify.session')).user.id as string);
