import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createUser, createUsers, type TestUser } from './helpers/factories.js';
import { linkToken, startSmtpSink } from './helpers/smtp.js';
import { WsClient } from './helpers/ws.js';

// Accounts over real SMTP: verification and reset links arrive at a real SMTP server and
// work once; sessions list and end (their sockets close); admins manage users.
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let s: TestServer;
let admin: TestUser;
beforeAll(async () => {
  smtp = await startSmtpSink();
  s = await startServer({ SMTP_URL: smtp.url, PUBLIC_ORIGIN: 'https://chat.example.test', JOB_POLL_MS: '100' });
  admin = await createUser(s.http); // the first account of a fresh database
});
afterAll(async () => {
  await s?.close();
  await smtp?.close();
});

const login = (u: TestUser, password = u.password) => s.http.post('/api/auth/login', { email: u.email, password });

describe('email verification', () => {
  it('registration sends a link that verifies the address once', async () => {
    const u = await createUser(s.http);
    expect((await s.http.get('/api/users/me', u.token)).body.email_verified).toBe(false);
    const mail = await smtp.waitFor(u.email);
    expect(mail.subject).toMatch(/confirm your email/i);
    expect(mail.text).toContain('https://chat.example.test/verify-email?token=');
    const token = linkToken(mail, 'verify-email');
    const device = await WsClient.connect(s.base, u.token);

    expect((await s.http.post('/api/auth/verify-email', { token })).status).toBe(204);
    expect((await s.http.get('/api/users/me', u.token)).body.email_verified).toBe(true);
    // The app open on the user's device hears it (the link was opened elsewhere, signed out).
    expect((await device.waitForType('self_updated')).payload).toMatchObject({ id: u.id, email_verified: true });
    await device.close();
    // Single use.
    const again = await s.http.post('/api/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/invalid, used or expired/);
  });

  it('refuses an expired token, a made-up token and a reset token', async () => {
    const u = await createUser(s.http);
    const token = linkToken(await smtp.waitFor(u.email), 'verify-email');
    await s.ctx.db.query("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [u.id]);
    expect((await s.http.post('/api/auth/verify-email', { token })).status).toBe(400);
    expect((await s.http.post('/api/auth/verify-email', { token: 'x'.repeat(43) })).status).toBe(400);
    expect((await s.http.post('/api/auth/verify-email', { token: '' })).status).toBe(400);
    expect((await s.http.get('/api/users/me', u.token)).body.email_verified).toBe(false);
  });

  it('resend sends a new link, at most once a minute; a verified address gets 409', async () => {
    const u = await createUser(s.http);
    const first = await smtp.waitFor(u.email);
    const tooSoon = await s.http.post('/api/auth/resend-verification', undefined, u.token);
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    await s.ctx.db.query("UPDATE email_tokens SET created_at = now() - interval '2 minutes' WHERE user_id = $1", [
      u.id,
    ]);
    expect((await s.http.post('/api/auth/resend-verification', undefined, u.token)).status).toBe(202);
    const second = await smtp.waitFor(u.email, 10_000, (m) => m !== first);
    const token = linkToken(second, 'verify-email');
    expect((await s.http.post('/api/auth/verify-email', { token })).status).toBe(204);
    expect((await s.http.post('/api/auth/resend-verification', undefined, u.token)).status).toBe(409);
    expect((await s.http.post('/api/auth/resend-verification')).status).toBe(401);
  });
});

describe('password reset', () => {
  it('a reset link sets a new password, ends every session and closes their sockets', async () => {
    const u = await createUser(s.http);
    const ws = await WsClient.connect(s.base, u.token);
    expect((await s.http.post('/api/auth/password-reset/request', { email: u.email.toUpperCase() })).status).toBe(202);
    const mail = await smtp.waitFor(u.email, 10_000, (m) => /reset/i.test(m.subject));
    const token = linkToken(mail, 'reset-password');

    const res = await s.http.post('/api/auth/password-reset/confirm', { token, new_password: 'a brand new secret' });
    expect(res.status, res.text).toBe(204);
    expect((await ws.closed).code).toBe(4401);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(401);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token })).status).toBe(401);
    expect((await login(u)).status).toBe(401);
    expect((await login(u, 'a brand new secret')).status).toBe(200);
    // Used once only.
    expect(
      (await s.http.post('/api/auth/password-reset/confirm', { token, new_password: 'yet another one' })).status,
    ).toBe(400);
  });

  it('an unknown address gets the same answer and no email', async () => {
    const before = smtp.mails.length;
    const res = await s.http.post('/api/auth/password-reset/request', { email: 'nobody-at-all@example.test' });
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.mails.slice(before).some((m) => m.to.includes('nobody-at-all@example.test'))).toBe(false);
  });

  it('rejects a short new password with 400 naming the field', async () => {
    const res = await s.http.post('/api/auth/password-reset/confirm', { token: 'y'.repeat(43), new_password: 'short' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('body.new_password');
  });
});

describe('sessions', () => {
  it('lists the caller’s sessions with the current one marked; ending one closes its sockets', async () => {
    const u = await createUser(s.http, { password: 'session password 1' });
    const other = (await login(u)).body;
    const ws = await WsClient.connect(s.base, other.token);
    const list = await s.http.get('/api/sessions', u.token);
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    expect(list.body.sessions.filter((x: any) => x.current)).toHaveLength(1);
    const otherSession = list.body.sessions.find((x: any) => !x.current);

    // Someone else's session is not found, and stays alive.
    const [stranger] = await createUsers(s.http, 1);
    expect((await s.http.del(`/api/sessions/${otherSession.id}`, stranger.token)).status).toBe(404);
    expect((await s.http.del(`/api/sessions/not-a-uuid`, u.token)).status).toBe(404);

    expect((await s.http.del(`/api/sessions/${otherSession.id}`, u.token)).status).toBe(204);
    expect((await ws.closed).code).toBe(4401);
    expect((await s.http.get('/api/users/me', other.token)).status).toBe(401);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(200);
  });

  it('DELETE /api/sessions ends all but the current one', async () => {
    const u = await createUser(s.http);
    const a = (await login(u)).body;
    const b = (await login(u)).body;
    const sockets = await Promise.all([WsClient.connect(s.base, a.token), WsClient.connect(s.base, b.token)]);
    const res = await s.http.del('/api/sessions', u.token);
    expect(res.body).toEqual({ ended: 2 });
    for (const ws of sockets) expect((await ws.closed).code).toBe(4401);
    expect((await s.http.get('/api/sessions', u.token)).body.sessions).toHaveLength(1);
  });

  it('changing the password needs the current one and ends the other sessions', async () => {
    const u = await createUser(s.http);
    const other = (await login(u)).body;
    const ws = await WsClient.connect(s.base, other.token);
    const wrong = await s.http.post(
      '/api/users/me/password',
      { current_password: 'nope nope', new_password: 'another secret' },
      u.token,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const ok = await s.http.post(
      '/api/users/me/password',
      { current_password: u.password, new_password: 'another secret' },
      u.token,
    );
    expect(ok.status, ok.text).toBe(204);
    expect((await ws.closed).code).toBe(4401);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(200);
    expect((await login(u)).status).toBe(401);
    expect((await login(u, 'another secret')).status).toBe(200);
  });
});

describe('admin', () => {
  it('the first account is an admin; later ones are not, and get 403 on every admin route', async () => {
    expect((await s.http.get('/api/users/me', admin.token)).body.role).toBe('admin');
    const u = await createUser(s.http);
    expect((await s.http.get('/api/users/me', u.token)).body.role).toBe('user');
    for (const [method, path] of [
      ['GET', '/api/admin/users'],
      ['GET', '/api/admin/stats'],
      ['POST', `/api/admin/users/${admin.id}/disable`],
      ['POST', `/api/admin/users/${admin.id}/enable`],
    ] as const) {
      const res = await s.http.request(method, path, { token: u.token });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect((await s.http.request(method, path)).status).toBe(401);
    }
    expect((await s.http.get('/api/users/me', admin.token)).body.role).toBe('admin');
  });

  it('lists and searches users with paging, and reports stats', async () => {
    const u = await createUser(s.http, { display_name: 'Zebediah Findme' });
    const found = await s.http.get('/api/admin/users?query=findme', admin.token);
    expect(found.status).toBe(200);
    expect(found.body.users.map((x: any) => x.id)).toEqual([u.id]);
    expect(found.body.users[0]).toMatchObject({ email: u.email, role: 'user', disabled: false });
    expect(found.body.users[0]).not.toHaveProperty('password_hash');
    const page = await s.http.get('/api/admin/users?limit=2&offset=1', admin.token);
    expect(page.body.users).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(3);
    expect((await s.http.get('/api/admin/users?limit=0', admin.token)).status).toBe(400);

    const ws = await WsClient.connect(s.base, u.token);
    const stats = await s.http.get('/api/admin/stats', admin.token);
    expect(stats.body).toMatchObject({ users: page.body.total, online_now: 1 });
    await ws.close();
  });

  it('disabling ends the user’s sockets and sign-ins; enabling lets them sign in again', async () => {
    const u = await createUser(s.http);
    const ws = await WsClient.connect(s.base, u.token);
    expect((await s.http.post(`/api/admin/users/${u.id}/disable`, undefined, admin.token)).status).toBe(204);
    expect((await ws.closed).code).toBe(4403);
    expect((await s.http.get('/api/users/me', u.token)).status).toBe(401);
    expect((await login(u)).status).toBe(403); // "This account has been disabled…"
    const listed = await s.http.get(`/api/admin/users?query=${u.username}`, admin.token);
    expect(listed.body.users[0].disabled).toBe(true);
    expect((await s.http.post(`/api/admin/users/${u.id}/enable`, undefined, admin.token)).status).toBe(204);
    expect((await login(u)).status).toBe(200);
    expect((await s.http.post(`/api/admin/users/${admin.id}/disable`, undefined, admin.token)).status).toBe(400);
    expect(
      (await s.http.post(`/api/admin/users/00000000-0000-4000-8000-000000000000/disable`, undefined, admin.token))
        .status,
    ).toBe(404);
  });
});
