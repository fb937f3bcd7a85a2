/**
 * Hardening, item 5: the authorization matrix over REST. Every registered route has a row in
 * authz-route-matrix.ts (the first test fails for a route without one, or a stale row); each
 * protected row is tried by the personas of authz-kit.ts, and refused with no data and no effect.
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../helpers/http.js';
import {
  s,
  fx,
  useAuthzServer,
  useFixture,
  PERSONAS,
  snapshot,
  expectNoSecrets,
  secretsFor,
  type Persona,
  type PersonaName,
} from './authz-kit.js';
import { ROUTES, routeKey, asList, type Req } from './authz-route-matrix.js';

useAuthzServer();

function call(req: Req, token?: string): Promise<HttpResponse> {
  return s.http.request(req.method, req.path, { token, body: req.body });
}

function tokenOf(p: Persona): string | undefined {
  return p.user?.token;
}

async function expectRefused(res: HttpResponse, status: number, code: string, p: Persona, req: Req) {
  const what = `${p.name}: ${req.method} ${req.path}`;
  expect(res.status, `${what} -> ${res.text}`).toBe(status);
  expect(res.body, what).toEqual({ error: { code, message: expect.any(String) } });
  expectNoSecrets(res.text, secretsFor(p, fx.secrets), what);
}

describe('authorization matrix: REST', () => {
  useFixture();

  it('has exactly one row per registered route (a new route without a row fails, so does a stale row)', () => {
    const registered = [...new Set(s.routes.filter((r) => r.method !== 'HEAD').map(routeKey))].sort();
    expect(registered).toEqual(Object.keys(ROUTES).sort());
  });

  it('public GET routes answer an anonymous caller with nothing of any conversation', async () => {
    const paths = Object.entries(ROUTES)
      .filter(([key, row]) => 'public' in row && key.startsWith('GET ') && !/[:*]/.test(key) && key !== 'GET /api/ws')
      .map(([key]) => key.slice(4));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      const res = await s.http.get(path);
      expect(res.status, path).toBeLessThan(500);
      expectNoSecrets(res.text, fx.secrets, `anonymous GET ${path}`);
    }
  });

  for (const [key, row] of Object.entries(ROUTES)) {
    if ('public' in row) continue;
    const applies = (name: PersonaName) =>
      row.scope === 'conversation' ||
      row.scope === 'admin' ||
      (row.scope === 'user' && row.outsiders) ||
      name === 'anonymous' ||
      name === 'disabled user';

    describe(key, () => {
      for (const name of PERSONAS.filter(applies)) {
        const expected: { status: number; code?: string } =
          name === 'anonymous' || name === 'disabled user'
            ? { status: 401, code: 'unauthorized' }
            : row.scope === 'conversation'
              ? { status: 404, code: 'not_found' }
              : row.scope === 'admin'
                ? { status: 403, code: 'forbidden' }
                : { status: row.ok };
        const outcome = expected.code
          ? `${expected.status} ${expected.code}`
          : `${expected.status}, about themselves only`;
        it(`${name} -> ${outcome}, no data, no effect`, async () => {
          const p = fx.personas[name];
          const before = await snapshot();
          for (const req of asList(row.request(p.target, p.me))) {
            if (!expected.code) {
              const res = await call(req, tokenOf(p));
              expect(res.status, res.text).toBe(expected.status);
              expectNoSecrets(res.text, secretsFor(p, fx.secrets), `${name}: ${req.method} ${req.path}`);
              continue;
            }
            await expectRefused(await call(req, tokenOf(p)), expected.status, expected.code, p, req);
            // Anonymous also with a token that is not one.
            if (name === 'anonymous') await expectRefused(await call(req, 'not-a-token'), 401, 'unauthorized', p, req);
          }
          expect(await snapshot()).toEqual(before);
        });
      }

      const who = { conversation: 'the group owner', admin: 'an administrator', user: 'a signed-in user' }[row.scope];
      it(`control: the same request from ${who} succeeds (${row.ok})`, async () => {
        const [req] = asList(row.request(fx.control, fx.owner.id));
        if (row.scope === 'admin') await s.ctx.db.query("UPDATE users SET role = 'admin' WHERE id = $1", [fx.owner.id]);
        const token = row.scope === 'user' ? fx.outsider.token : fx.owner.token;
        const res = await call(req!, token);
        expect(res.status, res.text).toBe(row.ok);
      });
    });
  }

  it('a disabled user cannot sign in again or refresh the session they had', async () => {
    const login = await s.http.post('/api/auth/login', { email: fx.disabled.email, password: fx.disabled.password });
    // Told why, and only with the right password (a wrong one is the usual refusal).
    expect(login.status).toBe(403);
    expect(login.body.error).toEqual({
      code: 'forbidden',
      message: 'This account has been disabled. An administrator can enable it again.',
    });
    expect(login.body.access_token).toBeUndefined();
    const guess = await s.http.post('/api/auth/login', { email: fx.disabled.email, password: 'not the password' });
    expect(guess.status).toBe(401);
    expect(guess.body.error.code).toBe('invalid_credentials');
    const refreshed = await s.http.post('/api/auth/refresh', { refresh_token: fx.disabled.refresh_token });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.error.code).toBe('unauthorized');
    expectNoSecrets(login.text + refreshed.text, secretsFor(fx.personas['disabled user'], fx.secrets), 'auth');
  });
});
