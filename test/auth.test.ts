import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startServer, type TestServer } from './helpers/server.js';
import { createUser, uniqueName, type TestUser } from './helpers/factories.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

describe('register', () => {
  it('creates an account and signs it in', async () => {
    const res = await s.http.post('/api/auth/register', {
      username: 'Alice_1',
      email: 'alice1@example.test',
      password: 'correct horse',
      display_name: 'Alice',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: 'Alice_1', email: 'alice1@example.test', display_name: 'Alice' });
    expect(res.body.user).not.toHaveProperty('password_hash');
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}\.[\w-]{40,}$/);
    const header = decodeProtectedHeader(res.body.token);
    const claims = decodeJwt(res.body.token);
    expect(header.alg).toBe('HS256');
    expect(claims).toMatchObject({ sub: res.body.user.id, iss: 'chatify', aud: 'chatify' });
    expect(typeof claims.sid).toBe('string');
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(15 * 60);
  });

  it('stores an argon2id hash at or above the OWASP minimum', async () => {
    const u = await createUser(s.http);
    const { rows } = await s.ctx.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
      u.id,
    ]);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

const fieldPath = (field: string) => expect.stringMatching(new RegExp(`(^|\\.)${field}$`));
const detailFor = (field: string) => expect.arrayContaining([expect.objectContaining({ path: fieldPath(field) })]);

const validRegistration = () => {
  const username = uniqueName('r_');
  return { username, email: `${username}@example.test`, password: 'correct horse', display_name: 'Reg' };
};

async function userCount(): Promise<number> {
  const { rows } = await s.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return rows[0]!.n;
}

describe('register: rules and conflicts', () => {
  it('accepts the shortest and longest usernames over the whole alphabet, and an 8-character password', async () => {
    for (const username of ['a_.', `Zz9_.${'q'.repeat(27)}`]) {
      const res = await s.http.post('/api/auth/register', {
        username,
        email: `${uniqueName('e')}@example.test`,
        password: '12345678',
        display_name: 'Edge',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.user.username).toBe(username);
      expect(typeof res.body.token).toBe('string');
    }
  });

  it('refuses a username that differs from a taken one only in case (409 naming username)', async () => {
    const first = validRegistration();
    first.username = `Bob${uniqueName('_')}`;
    expect((await s.http.post('/api/auth/register', first)).status).toBe(201);
    const before = await userCount();
    const res = await s.http.post('/api/auth/register', {
      ...validRegistration(),
      username: first.username.toLowerCase(),
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.details).toEqual(detailFor('username'));
    expect(await userCount()).toBe(before);
  });

  it('refuses an email that differs from a taken one only in case (409 naming email)', async () => {
    const first = validRegistration();
    expect((await s.http.post('/api/auth/register', first)).status).toBe(201);
    const before = await userCount();
    const res = await s.http.post('/api/auth/register', { ...validRegistration(), email: first.email.toUpperCase() });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.details).toEqual(detailFor('email'));
    expect(await userCount()).toBe(before);
  });

  const invalid: [string, (b: Record<string, unknown>) => void, string][] = [
    ['a 2-character username', (b) => (b.username = 'ab'), 'username'],
    ['a 33-character username', (b) => (b.username = 'u'.repeat(33)), 'username'],
    ['a username with a hyphen', (b) => (b.username = 'bad-name'), 'username'],
    ['a username with a space', (b) => (b.username = 'bad name'), 'username'],
    ['a username with an @', (b) => (b.username = 'bad@name'), 'username'],
    ['a username with a non-ASCII letter', (b) => (b.username = 'jos\u00e9'), 'username'],
    ['a 7-character password', (b) => (b.password = '1234567'), 'password'],
    ['an email without @', (b) => (b.email = 'not-an-email'), 'email'],
    ['a number as username', (b) => (b.username = 12345), 'username'],
    ['null as password', (b) => (b.password = null), 'password'],
    ['an array as email', (b) => (b.email = ['a@example.test']), 'email'],
    ['a number as display_name', (b) => (b.display_name = 42), 'display_name'],
    ['a missing username', (b) => delete b.username, 'username'],
    ['a missing email', (b) => delete b.email, 'email'],
    ['a missing password', (b) => delete b.password, 'password'],
  ];
  it.each(invalid)('rejects %s with 400 validation_failed naming the field', async (_name, mutate, field) => {
    const body: Record<string, unknown> = validRegistration();
    mutate(body);
    const before = await userCount();
    const res = await s.http.post('/api/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: `body.${field}` })]),
    );
    expect(await userCount()).toBe(before);
  });

  it.each(['{"username": "x",', 'not json at all', '{username: "x"}'])(
    'rejects malformed JSON %j with 400 invalid_json',
    async (raw) => {
      const res = await s.http.request('POST', '/api/auth/register', { raw });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_json');
    },
  );

  it.each([['[]'], ['"a string"'], ['null'], ['42']])('rejects a JSON body that is not an object (%s)', async (raw) => {
    const res = await s.http.request('POST', '/api/auth/register', { raw });
    expect(res.status).toBe(400);
    expect(['validation_failed', 'invalid_json']).toContain(res.body.error.code);
  });
});

describe('login', () => {
  let u: TestUser;
  beforeAll(async () => {
    u = await createUser(s.http, { username: uniqueName('Login_') });
  });

  it('signs in by email and returns a working token pair and the user', async () => {
    const res = await s.http.post('/api/auth/login', { email: u.email, password: u.password });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id: u.id,
      username: u.username,
      email: u.email,
      display_name: u.display_name,
    });
    expect(res.body.user).not.toHaveProperty('password_hash');
    expect(res.body.refresh_token).not.toBe(u.refresh_token);
    const me = await s.http.get('/api/users/me', res.body.token);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(u.id);
    const refreshed = await s.http.post('/api/auth/refresh', { refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it('matches the email regardless of case', async () => {
    const res = await s.http.post('/api/auth/login', { email: u.email.toUpperCase(), password: u.password });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(u.id);
  });

  it('accepts a username (any case) in the email field', async () => {
    for (const name of [u.username, u.username.toLowerCase()]) {
      const res = await s.http.post('/api/auth/login', { email: name, password: u.password });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(u.id);
    }
  });

  it('answers a wrong password and an unknown account with the same status and the same bytes', async () => {
    const wrong = await s.http.post('/api/auth/login', { email: u.email, password: 'not the password' });
    const unknownEmail = await s.http.post('/api/auth/login', {
      email: 'nobody-here@example.test',
      password: 'not the password',
    });
    const unknownName = await s.http.post('/api/auth/login', { email: 'nobody_here', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknownEmail.status).toBe(wrong.status);
    expect(unknownName.status).toBe(wrong.status);
    expect(unknownEmail.text).toBe(wrong.text);
    expect(unknownName.text).toBe(wrong.text);
    expect(wrong.body).not.toHaveProperty('token');
  });

  it('does not accept the password with different case', async () => {
    const res = await s.http.post('/api/auth/login', { email: u.email, password: u.password.toUpperCase() });
    expect(res.status).toBe(401);
  });

  it.each([
    ['a missing password', { email: 'x@example.test' }, 'password'],
    ['a missing email', { password: 'whatever123' }, 'email'],
    ['an empty email', { email: '', password: 'whatever123' }, 'email'],
    ['a number as password', { email: 'x@example.test', password: 12345678 }, 'password'],
  ])('rejects %s with 400 validation_failed', async (_name, body, field) => {
    const res = await s.http.post('/api/auth/login', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: `body.${field}` })]),
    );
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const res = await s.http.request('POST', '/api/auth/login', { raw: '{"email":' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });
});

async function signIn(u: TestUser) {
  const res = await s.http.post('/api/auth/login', { email: u.email, password: u.password });
  expect(res.status).toBe(200);
  return { token: res.body.token as string, refresh_token: res.body.refresh_token as string };
}

describe('refresh', () => {
  it('rotates: a new working pair, and the presented refresh token is spent', async () => {
    const u = await createUser(s.http);
    const first = await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token });
    expect(first.status).toBe(200);
    expect(first.body.user.id).toBe(u.id);
    expect(first.body.refresh_token).not.toBe(u.refresh_token);
    expect(typeof first.body.token).toBe('string');
    expect((await s.http.get('/api/users/me', first.body.token)).status).toBe(200);

    const second = await s.http.post('/api/auth/refresh', { refresh_token: first.body.refresh_token });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('treats a spent refresh token as theft: 401, and the whole session is revoked', async () => {
    const u = await createUser(s.http);
    const rotated = await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token });
    expect(rotated.status).toBe(200);

    const replay = await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('unauthorized');

    const newer = await s.http.post('/api/auth/refresh', { refresh_token: rotated.body.refresh_token });
    expect(newer.status).toBe(401);
    for (const token of [u.token, rotated.body.token]) {
      const me = await s.http.get('/api/users/me', token);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('unauthorized');
    }
  });

  it.each([
    ['garbage', 'garbage'],
    ['a token with no secret part', '.abc'],
    ['a non-UUID session', 'not-a-uuid.abcdefghijklmnop'],
    ['an unknown session', `${randomUUID()}.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG`],
  ])('answers %s with 401 unauthorized', async (_name, refresh_token) => {
    const res = await s.http.post('/api/auth/refresh', { refresh_token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('answers a right session id with a wrong secret with 401', async () => {
    const u = await createUser(s.http);
    const sessionId = u.refresh_token.split('.')[0];
    const res = await s.http.post('/api/auth/refresh', {
      refresh_token: `${sessionId}.wrongsecretwrongsecretwrongsecret`,
    });
    expect(res.status).toBe(401);
  });

  it.each([
    ['a missing refresh_token', {}],
    ['an empty refresh_token', { refresh_token: '' }],
    ['a number as refresh_token', { refresh_token: 42 }],
  ])('rejects %s with 400 validation_failed', async (_name, body) => {
    const res = await s.http.post('/api/auth/refresh', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: fieldPath('refresh_token') })]),
    );
  });
});

describe('logout', () => {
  it('with the bearer token: 204, then the access and refresh tokens are refused', async () => {
    const u = await createUser(s.http);
    const res = await s.http.post('/api/auth/logout', undefined, u.token);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(401);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token })).status).toBe(401);
  });

  it('with the refresh token in the body: 204, then the access and refresh tokens are refused', async () => {
    const u = await createUser(s.http);
    // The server has now seen this session live (and keeps that for a while, decision 018).
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(200);
    const res = await s.http.post('/api/auth/logout', { refresh_token: u.refresh_token });
    expect(res.status).toBe(204);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(401);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token })).status).toBe(401);
  });

  it('ends only that session: the same user signed in elsewhere stays signed in', async () => {
    const u = await createUser(s.http);
    const other = await signIn(u);
    expect((await s.http.post('/api/auth/logout', { refresh_token: u.refresh_token }, u.token)).status).toBe(204);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(401);
    expect((await s.http.get('/api/users/me', other.token)).status).toBe(200);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: other.refresh_token })).status).toBe(200);
  });
});
