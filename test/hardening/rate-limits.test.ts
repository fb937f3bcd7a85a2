import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createUsers } from '../helpers/factories.js';
import { spawnRedis } from '../helpers/processes.js';
import { UpgradeRefused, WsClient } from '../helpers/ws.js';

// HTTP rate limits answer 429 with our error body and Retry-After; they are per address for
// sign-in and per user for sends and search; the WebSocket upgrade is not counted by them but
// has its own per-address connection cap; with Redis the counts are shared by every node.
const servers: TestServer[] = [];
let redis: Awaited<ReturnType<typeof spawnRedis>> | undefined;
afterAll(async () => {
  for (const s of servers) await s.close();
  await redis?.kill('SIGKILL');
});
async function server(env: Record<string, string>) {
  const s = await startServer({ TRUST_PROXY: 'true', LOGIN_IP_MAX_FAILURES: '1000', ...env });
  servers.push(s);
  return s;
}
const from = (ip: string) => ({ 'x-forwarded-for': ip });

function expect429(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/try again in \d+ s/) } });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('sign-in routes, per route and address', () => {
  it('allow the configured 30 a minute from one address, then 429; another address is unaffected', async () => {
    const s = await server({ RATE_LIMIT_AUTH_PER_MINUTE: '30' });
    const login = (i: number, ip: string) =>
      s.http.request('POST', '/api/auth/login', {
        body: { email: `nobody${i}@example.test`, password: 'whatever!' },
        headers: from(ip),
      });
    for (let i = 0; i < 30; i++) expect((await login(i, '203.0.113.1')).status).toBe(401);
    expect429(await login(30, '203.0.113.1'));
    // Each route counts on its own: registration from that address still has its budget.
    const register = await s.http.request('POST', '/api/auth/register', {
      body: { username: `u${Date.now()}`, email: `u${Date.now()}@example.test`, password: 'long enough' },
      headers: from('203.0.113.1'),
    });
    expect(register.status).toBe(201);
    expect((await login(31, '203.0.113.2')).status).toBe(401);
  });

  it('leave the WebSocket upgrade alone; it has its own cap on open sockets per address', async () => {
    const s = await server({ RATE_LIMIT_AUTH_PER_MINUTE: '2', WS_MAX_CONNECTIONS_PER_IP: '5' });
    const [u] = await createUsers(s.http, 1);
    const open: WsClient[] = [];
    for (let i = 0; i < 5; i++) open.push(await WsClient.connect(s.base, u.token));
    const refused = await WsClient.connect(s.base, u.token).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(429);
    await open.pop()!.close();
    open.push(await WsClient.connect(s.base, u.token));
    // Another address has its own five.
    open.push(await WsClient.connect(s.base, u.token, { headers: from('198.51.100.7') }));
    await Promise.all(open.map((c) => c.close()));
  });
});

describe('signed-in routes, per user', () => {
  it('sends and searches are limited per user; another user is unaffected', async () => {
    const s = await server({ RATE_LIMIT_SEND_PER_MINUTE: '5', RATE_LIMIT_SEARCH_PER_MINUTE: '3' });
    const [alice, bob] = await createUsers(s.http, 2);
    const conversationId = await createDirect(s.http, alice, bob);
    const send = (token: string) =>
      s.http.post(`/api/conversations/${conversationId}/messages`, { content: 'hi', client_id: randomUUID() }, token);
    for (let i = 0; i < 5; i++) expect((await send(alice.token)).status).toBe(201);
    expect429(await send(alice.token));
    expect((await send(bob.token)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await s.http.get('/api/search?q=hi', alice.token)).status).toBe(200);
    expect429(await s.http.get('/api/search?q=hi', alice.token));
    expect((await s.http.get('/api/search?q=hi', bob.token)).status).toBe(200);
  });
});

describe('with Redis', () => {
  it('two nodes share one count', async () => {
    redis = await spawnRedis();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_AUTH_PER_MINUTE: '6' };
    const [a, b] = [await server(env), await server(env)];
    const login = (s: TestServer) =>
      s.http.request('POST', '/api/auth/login', {
        body: { email: 'ghost@example.test', password: 'whatever!' },
        headers: from('203.0.113.50'),
      });
    for (let i = 0; i < 3; i++) expect((await login(a)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await login(b)).status).toBe(401);
    expect429(await login(a));
    expect429(await login(b));
  });
});

describe('headers', () => {
  it('a CSP and the other security headers on the web client; CORS only for ALLOWED_ORIGINS', async () => {
    const s = await server({ ALLOWED_ORIGINS: 'https://app.example.com' });
    const res = await fetch(`${s.base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const allowed = await fetch(`${s.base}/healthz`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const foreign = await fetch(`${s.base}/healthz`, { headers: { origin: 'https://evil.test' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the same security headers on every answer: a page, an error, a refusal, a malformed body', async () => {
    const s = await server({ ALLOWED_ORIGINS: 'https://app.example.com' });
    const answers = await Promise.all([
      fetch(`${s.base}/`),
      fetch(`${s.base}/healthz`),
      fetch(`${s.base}/api/no-such-route`),
      fetch(`${s.base}/api/users/me`),
      fetch(`${s.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 401, 400]);
    const security = (r: Response) =>
      Object.fromEntries(
        [
          'content-security-policy',
          'cross-origin-opener-policy',
          'referrer-policy',
          'x-content-type-options',
          'x-frame-options',
          'strict-transport-security',
        ].map((h) => [h, r.headers.get(h)]),
      );
    const first = security(answers[0]!);
    expect(first['content-security-policy']).toMatch(/connect-src 'self' https:\/\/app\.example\.com(;|$)/);
    expect(first['x-frame-options']).toBe('SAMEORIGIN');
    // HSTS is Caddy's, with TLS.
    expect(first['strict-transport-security']).toBeNull();
    for (const r of answers) expect(security(r)).toEqual(first);
  });
});
