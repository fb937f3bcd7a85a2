import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeJwt, generateKeyPair } from 'jose';
import { startServer, type TestServer } from './helpers/server.js';
import { createUser, type TestUser } from './helpers/factories.js';
import { WsClient } from './helpers/ws.js';
import { setUserDisabled } from '../server/users/service.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

describe('forged and stale access tokens', () => {
  let u: TestUser;
  let sub: string;
  let sid: string;
  const secret = () => new TextEncoder().encode(s.config.JWT_SECRET);
  const claims = () =>
    new SignJWT({ sid, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer('chatify')
      .setAudience('chatify');

  beforeAll(async () => {
    u = await createUser(s.http);
    const c = decodeJwt(u.token);
    sub = c.sub!;
    sid = c.sid as string;
  });

  async function expectUnauthorized(token: string) {
    const res = await s.http.get('/api/users/me', token);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
  }

  it('accepts a token with the same claims signed correctly (the control for the cases below)', async () => {
    const token = await claims().setIssuedAt().setExpirationTime('5m').sign(secret());
    const res = await s.http.get('/api/users/me', token);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(u.id);
  });

  it('refuses an unsigned alg:none token', async () => {
    const token = new UnsecuredJWT({ sid, typ: 'access' })
      .setSubject(sub)
      .setIssuer('chatify')
      .setAudience('chatify')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    await expectUnauthorized(token);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await claims()
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('some-other-secret-0123456789-abcdefgh'));
    await expectUnauthorized(token);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await claims()
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(secret());
    await expectUnauthorized(token);
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await claims()
      .setIssuedAt(now)
      .setNotBefore(now + 600)
      .setExpirationTime(now + 900)
      .sign(secret());
    await expectUnauthorized(token);
  });

  it('refuses algorithm confusion: RS256 with a key of the attacker, and HS512 with the right secret', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const base = () =>
      new SignJWT({ sid, typ: 'access' })
        .setSubject(sub)
        .setIssuer('chatify')
        .setAudience('chatify')
        .setIssuedAt()
        .setExpirationTime('5m');
    await expectUnauthorized(await base().setProtectedHeader({ alg: 'RS256' }).sign(privateKey));
    await expectUnauthorized(await base().setProtectedHeader({ alg: 'HS512' }).sign(secret()));
    // The same claims with HS256 pass: the algorithm alone is what is refused.
    expect(
      (await s.http.get('/api/users/me', await base().setProtectedHeader({ alg: 'HS256' }).sign(secret()))).status,
    ).toBe(200);
  });

  it('refuses a token for another audience or issuer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const wrongAud = await claims().setAudience('other').setIssuedAt(now).setExpirationTime('5m').sign(secret());
    const wrongIss = await claims().setIssuer('other').setIssuedAt(now).setExpirationTime('5m').sign(secret());
    await expectUnauthorized(wrongAud);
    await expectUnauthorized(wrongIss);
  });

  const signedWith = (payload: Record<string, string>) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('chatify')
      .setAudience('chatify')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret());

  it('refuses a correctly signed token that is not an access token', async () => {
    await expectUnauthorized(await signedWith({ sid, typ: 'refresh' }));
  });

  it('refuses a correctly signed token naming a session that does not exist', async () => {
    await expectUnauthorized(await signedWith({ sid: randomUUID(), typ: 'access' }));
  });

  it.each(['garbage', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.e30.'])('refuses the garbage token %j', async (token) => {
    await expectUnauthorized(token);
  });

  it('refuses a refresh token presented as the bearer token', async () => {
    await expectUnauthorized(u.refresh_token);
  });

  it('refuses a request without a token, and a non-Bearer scheme', async () => {
    const none = await s.http.get('/api/users/me');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'unauthorized' } });
    const basic = await s.http.request('GET', '/api/users/me', { headers: { authorization: `Basic ${u.token}` } });
    expect(basic.status).toBe(401);
    expect(basic.body).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('disabling an account', () => {
  it('closes its live sockets within 5 s (4403) and refuses its access and refresh tokens', async () => {
    const [victim, other] = await Promise.all([createUser(s.http), createUser(s.http)]);
    const sockets = await Promise.all([WsClient.connect(s.base, victim.token), WsClient.connect(s.base, victim.token)]);
    const bystander = await WsClient.connect(s.base, other.token);
    const started = Date.now();
    await setUserDisabled(s.ctx, victim.id, true);
    const closes = await Promise.all(sockets.map((c) => c.closed));
    expect(Date.now() - started).toBeLessThan(5000);
    for (const c of closes) expect(c.code).toBe(4403);
    expect((await s.http.get('/api/users/me', victim.token)).status).toBe(401);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: victim.refresh_token })).status).toBe(401);
    const login = await s.http.post('/api/auth/login', { email: victim.email, password: victim.password });
    expect(login.status).toBe(403); // told the account is disabled, and given no tokens
    expect(login.body.token).toBeUndefined();
    await expect(WsClient.connect(s.base, victim.token)).rejects.toMatchObject({ status: 401 });
    // Nobody else is touched.
    expect((await bystander.request('ping', {})).type).toBe('pong');
    await bystander.close();

    // Enabled again, the account signs in afresh (old sessions stay ended).
    await setUserDisabled(s.ctx, victim.id, false);
    expect((await s.http.post('/api/auth/login', { email: victim.email, password: victim.password })).status).toBe(200);
    expect((await s.http.get('/api/users/me', victim.token)).status).toBe(401);
  });
});
