import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startServer, type TestServer } from './helpers/server.js';
import { createUser } from './helpers/factories.js';

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
