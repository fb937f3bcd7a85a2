import { afterAll, beforeAll, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { startServer, type TestServer } from '../helpers/server.js';
import { createUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws.js';

let s: TestServer;
const lines: string[] = [];
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  s = await startServer({ LOG_LEVEL: 'info' }, { logStream: stream });
});
afterAll(() => s?.close());

it('never logs tokens or passwords, though it logs every request and socket', async () => {
  const u = await createUser(s.http);
  const login = await s.http.post('/api/auth/login', { email: u.email, password: u.password });
  await s.http.post('/api/auth/refresh', { refresh_token: login.body.refresh_token });
  await s.http.get('/api/users/me', u.token);
  const c = await WsClient.connect(s.base, u.token);
  await c.close();
  await new Promise((r) => setTimeout(r, 100));

  const log = lines.join('\n');
  expect(log).toContain('/api/ws?token=[REDACTED]');
  expect(log).toContain('socket open');
  expect(lines.length).toBeGreaterThan(8);
  // One line per request, with its request id, and the user once they are known.
  const done = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
  expect(done.length).toBeGreaterThanOrEqual(4);
  for (const l of done) expect(l.reqId).toEqual(expect.any(String));
  expect(done.filter((l) => l.userId === u.id).length).toBeGreaterThanOrEqual(1);
  for (const secret of [u.token, u.refresh_token, login.body.token, login.body.refresh_token, u.password]) {
    expect(log).not.toContain(secret);
  }
  // The part of a JWT that differs between tokens must not appear either.
  expect(log).not.toContain(u.token.split('.')[2]);
});

it('health checks (asked every few seconds by a load balancer) are not logged at info', async () => {
  const before = lines.length;
  for (let i = 0; i < 5; i++) {
    expect((await s.http.get('/healthz')).status).toBe(200);
    expect((await s.http.get('/readyz')).status).toBe(200);
  }
  await s.http.get('/api/users/me'); // logged (401), after them
  await new Promise((r) => setTimeout(r, 100));
  const logged = lines.slice(before).map((l) => JSON.parse(l));
  expect(logged.some((l) => l.req?.url === '/api/users/me' || l.msg === 'request completed')).toBe(true);
  expect(logged.filter((l) => JSON.stringify(l).includes('/healthz') || JSON.stringify(l).includes('/readyz'))).toEqual(
    [],
  );
});
