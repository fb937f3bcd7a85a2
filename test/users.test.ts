import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createGroup, createUser, uniqueName, type TestUser } from './helpers/factories.js';
import { settle, WsClient } from './helpers/ws.js';

let s: TestServer;
let me: TestUser;
let other: TestUser;
beforeAll(async () => {
  s = await startServer();
  [me, other] = await Promise.all([createUser(s.http), createUser(s.http)]);
});
afterAll(() => s?.close());

describe('GET /api/users/me', () => {
  it('returns the caller, email included, password hash never', async () => {
    const res = await s.http.get('/api/users/me', me.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: me.id,
      username: me.username,
      email: me.email,
      display_name: me.display_name,
    });
    expect(res.body).not.toHaveProperty('password_hash');
    expect(res.text).not.toContain('argon2');
  });
});

describe('PATCH /api/users/me', () => {
  it('changes the display name, and others see the new one', async () => {
    const u = await createUser(s.http);
    const res = await s.http.patch('/api/users/me', { display_name: 'New Name' }, u.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: u.id, username: u.username, email: u.email, display_name: 'New Name' });
    expect((await s.http.get('/api/users/me', u.token)).body.display_name).toBe('New Name');
    expect((await s.http.get(`/api/users/${u.id}`, other.token)).body.display_name).toBe('New Name');
  });

  it('tells everyone who shares a chat with the user, on every chat they share, and only a real change', async () => {
    const [u, friend, groupie, stranger] = await Promise.all([
      createUser(s.http),
      createUser(s.http),
      createUser(s.http),
      createUser(s.http),
    ]);
    const direct = await createDirect(s.http, u, friend);
    const group = await createGroup(s.http, u, [friend, groupie]);
    const sockets = await Promise.all([friend, groupie, stranger, u].map((x) => WsClient.connect(s.base, x.token)));
    const [sf, sg, ss, su] = sockets;
    try {
      expect((await s.http.patch('/api/users/me', { display_name: 'Renamed Person' }, u.token)).status).toBe(200);
      const updated = (c: WsClient) => async (id: string) =>
        c.waitForType('conversation_updated', (p) => p.conversation_id === id);
      await Promise.all([direct, group].map(updated(sf!)));
      await updated(sg!)(group);
      // The user's own other devices too (their chats' member lists hold the name).
      await Promise.all([direct, group].map(updated(su!)));
      const seen = await s.http.get(`/api/conversations/${group}`, groupie.token);
      expect(seen.body.members.find((m: { id: string }) => m.id === u.id).display_name).toBe('Renamed Person');
      await settle();
      expect(ss!.ofType('conversation_updated')).toHaveLength(0);
      expect(sg!.ofType('conversation_updated').filter((f) => f.payload.conversation_id === direct)).toHaveLength(0);

      // The same name again, or another setting alone, announces nothing.
      const before = sf!.ofType('conversation_updated').length;
      expect((await s.http.patch('/api/users/me', { display_name: 'Renamed Person' }, u.token)).status).toBe(200);
      expect((await s.http.patch('/api/users/me', { relay_only: true }, u.token)).status).toBe(200);
      await settle();
      expect(sf!.ofType('conversation_updated')).toHaveLength(before);
    } finally {
      await Promise.all(sockets.map((c) => c.close()));
    }
  });

  it('tells the user’s own devices the account’s new state, with no chats at all, and nobody else', async () => {
    const [u, stranger] = await Promise.all([createUser(s.http), createUser(s.http)]);
    const sockets = await Promise.all([u, u, stranger].map((x) => WsClient.connect(s.base, x.token)));
    const [phone, laptop, theirs] = sockets;
    try {
      expect((await s.http.patch('/api/users/me', { display_name: 'Solo Renamed' }, u.token)).status).toBe(200);
      for (const device of [phone!, laptop!]) {
        const f = await device.waitForType('self_updated', (p) => p.display_name === 'Solo Renamed');
        expect(f.payload).toEqual((await s.http.get('/api/users/me', u.token)).body);
      }
      expect((await s.http.patch('/api/users/me', { relay_only: true }, u.token)).status).toBe(200);
      await laptop!.waitForType('self_updated', (p) => p.relay_only === true && p.display_name === 'Solo Renamed');
      await settle();
      expect(theirs!.ofType('self_updated')).toHaveLength(0);
      expect(phone!.ofType('conversation_updated')).toHaveLength(0);
    } finally {
      await Promise.all(sockets.map((c) => c.close()));
    }
  });

  it.each([
    ['an empty display name', { display_name: '' }],
    ['a whitespace-only display name', { display_name: '   ' }],
    ['a 65-character display name', { display_name: 'n'.repeat(65) }],
    ['a number', { display_name: 7 }],
    ['a missing display name', {}],
  ])('rejects %s with 400 naming body.display_name, and keeps the old name', async (_name, body) => {
    const res = await s.http.patch('/api/users/me', body, me.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'body.display_name' })]),
    );
    expect((await s.http.get('/api/users/me', me.token)).body.display_name).toBe(me.display_name);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const res = await s.http.request('PATCH', '/api/users/me', { token: me.token, raw: '{"display_name": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

describe('GET /api/users/:id', () => {
  it('shows the public profile of another user, without email', async () => {
    const res = await s.http.get(`/api/users/${other.id}`, me.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: other.id, username: other.username, display_name: other.display_name });
    expect(res.body).not.toHaveProperty('email');
    expect(res.body).not.toHaveProperty('password_hash');
    expect(res.text).not.toContain(other.email);
  });

  it('shows when someone was last seen only to the people they share a conversation with', async () => {
    const [seen, contact, stranger] = await Promise.all([createUser(s.http), createUser(s.http), createUser(s.http)]);
    await createDirect(s.http, seen, contact);
    const at = '2026-12-01T09:30:00.000Z';
    await s.ctx.db.query('UPDATE users SET last_seen_at = $2 WHERE id = $1', [seen.id, at]);
    const lastSeen = async (viewer: TestUser) => ({
      profile: (await s.http.get(`/api/users/${seen.id}`, viewer.token)).body.last_seen_at,
      search: (await s.http.get(`/api/users?query=${seen.username}`, viewer.token)).body.users[0]?.last_seen_at,
    });
    expect(await lastSeen(contact)).toEqual({ profile: at, search: at });
    expect(await lastSeen(stranger)).toEqual({ profile: null, search: null });
  });

  it.each([
    ['an unknown UUID', randomUUID()],
    ['a non-UUID id', 'not-a-uuid'],
    ['a number', '12345'],
  ])('answers %s with 404 not_found', async (_name, id) => {
    const res = await s.http.get(`/api/users/${id}`, me.token);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('GET /api/users?query=', () => {
  let caller: TestUser;
  const p = uniqueName('q')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  let byUsername: TestUser;
  let byDisplayName: TestUser;

  beforeAll(async () => {
    [caller, byUsername, byDisplayName] = await Promise.all([
      createUser(s.http, { username: `${p}al_caller`, display_name: `${p}Al Caller` }),
      createUser(s.http, { username: `${p.toUpperCase()}ALICE`, display_name: 'Wonderland' }),
      createUser(s.http, { username: `bob${p}`, display_name: `${p}ALFRED Bob` }),
      // Contains the query but neither the name nor any word of it starts with it: an infix.
      createUser(s.http, { username: `m${p}al`, display_name: `Mal m${p}al` }),
      createUser(s.http, { username: `${p}carl`, display_name: `${p}Carl` }),
    ]);
  });

  const search = async (query: string, token = caller.token) => {
    const res = await s.http.get(`/api/users?query=${encodeURIComponent(query)}`, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.users as any[];
  };

  it('matches a prefix of the username or of the display name, case-insensitively, without the caller', async () => {
    for (const q of [`${p}al`, `${p}AL`, `${p.toUpperCase()}aL`]) {
      const users = await search(q);
      expect(users.map((u) => u.id).sort()).toEqual([byUsername.id, byDisplayName.id].sort());
    }
  });

  it('lists public profiles only (no email)', async () => {
    const users = await search(`${p}al`);
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) {
      expect(Object.keys(u)).toEqual(expect.arrayContaining(['id', 'username', 'display_name']));
      expect(u).not.toHaveProperty('email');
    }
  });

  it('finds the caller for another user', async () => {
    const users = await search(`${p}al_c`, other.token);
    expect(users.map((u) => u.id)).toEqual([caller.id]);
  });

  it('returns at most 20 users', async () => {
    const prefix = uniqueName('cap')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    await Promise.all(Array.from({ length: 21 }, (_, i) => createUser(s.http, { username: `${prefix}_${i}` })));
    const users = await search(prefix);
    expect(users).toHaveLength(20);
    for (const u of users) expect(u.username.startsWith(prefix)).toBe(true);
  });

  it('treats % and _ in the query as literal characters, not wildcards', async () => {
    const t = uniqueName('w')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    const [underscore, noUnderscore, percent] = await Promise.all([
      createUser(s.http, { username: `${t}_x`, display_name: 'Under Score' }),
      createUser(s.http, { username: `${t}ax`, display_name: 'No Underscore' }),
      createUser(s.http, { display_name: `${t}50% off` }),
      createUser(s.http, { display_name: `${t}50 percent off` }),
    ]);
    // `_` and `%` match themselves in a username, and split words in a name: never any character.
    const found = async (q: string) => (await search(q)).map((u) => u.id);
    expect(await found(`${t}_x`)).toEqual([underscore.id]);
    expect(await found(`${t}_`)).not.toContain(noUnderscore.id);
    expect(await found(`${t}50%`)).toContain(percent.id);
    expect(await found(`${t}%ff`)).toEqual([]); // as a wildcard, it would find "…50% off"
    expect(await search('%')).toEqual([]);
  });

  it('finds a name by any of its words, accents and case aside, every word of the query a word’s start', async () => {
    const t = uniqueName('n')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    const [cleo, , olivia] = await Promise.all([
      createUser(s.http, { username: `${t}c`, display_name: `Cléo Martínez-${t}Ñoño` }),
      createUser(s.http, { username: `${t}d`, display_name: `Dan ${t}Smith` }),
      createUser(s.http, { username: `${t}o`, display_name: `Olivia O'${t}Brien` }),
    ]);
    const found = async (q: string) => (await search(q)).map((u) => u.id).sort();
    expect(await found(`${t}nono`)).toEqual([cleo.id]);
    expect(await found(`${t}ÑOÑ`)).toEqual([cleo.id]);
    expect(await found(`cleo ${t}n`)).toEqual([cleo.id]);
    expect(await found(`${t}n cléo`)).toEqual([cleo.id]); // any order
    expect(await found(`${t}brien`)).toEqual([olivia.id]);
    expect(await found(`${t}brien dan`)).toEqual([]); // every word of the query must begin one of the name
    expect(await found(`${t}smit`)).toHaveLength(1);
    // Renamed: the old words go, the new ones find them.
    const renamed = await s.http.patch('/api/users/me', { display_name: `Olivia ${t}Walsh` }, olivia.token);
    expect(renamed.status).toBe(200);
    expect(await found(`${t}brien`)).toEqual([]);
    expect(await found(`${t}wals`)).toEqual([olivia.id]);
  });
});

describe('without a token', () => {
  it.each([
    ['GET', '/api/users/me'],
    ['PATCH', '/api/users/me'],
    ['GET', `/api/users/${randomUUID()}`],
    ['GET', '/api/users?query=al'],
  ])('%s %s answers 401 unauthorized', async (method, path) => {
    const res = await s.http.request(method, path, method === 'PATCH' ? { body: { display_name: 'X' } } : {});
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('an anonymous PATCH changes nothing', async () => {
    await s.http.request('PATCH', '/api/users/me', { body: { display_name: 'Hijacked' } });
    const { rows } = await s.ctx.db.query('SELECT 1 FROM users WHERE display_name = $1', ['Hijacked']);
    expect(rows).toHaveLength(0);
  });
});
