/**
 * Hardening item 4, fuzzing over REST: a few thousand generated hostile bodies and querystrings
 * on every registered route. Each must get a 4xx with the {error:{code,message}} body (or a
 * success), never a 5xx, and the server must not keep what it was sent. See fuzz-harness.ts for
 * the findings.
 */
import { describe, expect, it } from 'vitest';
import type { HTTPMethods } from 'fastify';
import { ERROR_CODES } from '../../protocol/errors.js';
import { Rng, protoChanges } from './fuzz-kit.js';
import {
  SEED,
  CLIENT_CODES,
  finding,
  report,
  show,
  setPhase,
  gc,
  settledHeap,
  heapBound,
  mib,
  useFuzzServer,
  s,
  alice,
  protoBefore,
} from './fuzz-harness.js';
import {
  bigBody,
  fillPath,
  genQuery,
  planBody,
  planQuery,
  tokenFor,
  type PlannedRequest,
  type RestStats,
} from './fuzz-rest-plan.js';

// ---------------------------------------------------------------------------------------------
// Knobs. Sized for ~60 s on a 2-core machine shared with other test files.

const REST_BODIES_PER_ROUTE = 300;
const REST_QUERIES_PER_ROUTE = 60;
const REST_CONCURRENCY = 12;

useFuzzServer();

describe('fuzzing', () => {
  it('survives thousands of generated REST bodies and querystrings on every route', async () => {
    setPhase('rest');
    const started = Date.now();
    const r = new Rng(SEED ^ 0xbeef);
    const heapBefore = await settledHeap();
    const stats: RestStats = { requests: 0, bodies: 0, queries: 0, byStatus: new Map(), msByRoute: new Map() };

    const cases: (() => Promise<void>)[] = [];
    const bodyRoutes = s.routes.filter((rt) => ['POST', 'PATCH', 'PUT'].includes(rt.method));
    const getRoutes = s.routes.filter((rt) => rt.method === 'GET');
    const deleteRoutes = s.routes.filter((rt) => rt.method === 'DELETE');
    expect(bodyRoutes.length).toBeGreaterThan(5);
    expect(getRoutes.length).toBeGreaterThan(5);
    // (`OPTIONS *`, the CORS preflight, is a wildcard hasRoute does not look up.)
    for (const rt of s.routes.filter((x) => x.method !== 'OPTIONS'))
      expect(s.app.hasRoute({ method: rt.method as HTTPMethods, url: rt.url }), `${rt.method} ${rt.url}`).toBe(true);

    for (const rt of bodyRoutes) {
      for (let i = 0; i < REST_BODIES_PER_ROUTE; i++) {
        const req = planBody(r, rt);
        cases.push(() => send(rt, req, stats));
      }
      // Bodies over the limit, with and without a Content-Length.
      for (const chunked of [false, true]) {
        const req = bigBody(r, rt, chunked);
        cases.push(() => send(rt, req, stats));
      }
    }
    for (const rt of getRoutes) {
      // The web client's files ignore querystrings and are large: a few requests each are enough.
      const isStatic = !rt.url.startsWith('/api/') && !['/healthz', '/readyz'].includes(rt.url);
      for (let i = 0; i < (isStatic ? 5 : REST_QUERIES_PER_ROUTE); i++) {
        const req = planQuery(r, rt);
        cases.push(() => send(rt, req, stats));
      }
    }
    for (const rt of deleteRoutes) {
      for (let i = 0; i < 40; i++) {
        const req: PlannedRequest = {
          path: fillPath(r, rt.url, { allowReal: false }) + (r.chance(0.3) ? `?${genQuery(r, [])}` : ''),
          token: tokenFor(r, rt.url),
          desc: 'delete garbage params',
        };
        cases.push(() => send(rt, req, stats));
      }
    }
    // Interleave routes so that concurrent requests hit different handlers.
    for (let i = cases.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [cases[i], cases[j]] = [cases[j]!, cases[i]!];
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: REST_CONCURRENCY }, async () => {
        while (next < cases.length) await cases[next++]!();
      }),
    );

    // Still healthy, and the fixture's session still works.
    const health = await s.http.get('/healthz');
    expect(health.status).toBe(200);
    expect((await s.http.get('/api/users/me', alice.token)).status).toBe(200);
    const heapAfter = await settledHeap();

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `rest fuzz: ${stats.requests} requests on ${s.routes.length} routes (${stats.bodies} bodies, ${stats.queries} querystrings), ` +
        `statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])))}, ` +
        `heap ${mib(heapBefore)} -> ${mib(heapAfter)} (gc: ${gc ? 'yes' : 'no'}), ${seconds} s; slowest: ${[
          ...stats.msByRoute,
        ]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([rt, ms]) => `${rt} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')}`,
    );

    // This file's own setup is checked here too (in one file with the WebSocket run, that run did it).
    expect(report('rest:', 'process/setup', 'process/rest', 'server-log/setup', 'server-log/rest'), 'findings').toEqual(
      [],
    );
    expect(stats.bodies).toBeGreaterThanOrEqual(bodyRoutes.length * REST_BODIES_PER_ROUTE);
    expect(protoChanges(protoBefore)).toEqual([]);
    expect(heapAfter - heapBefore, `heap growth ${mib(heapAfter - heapBefore)}`).toBeLessThan(heapBound);
  }, 180_000);
});

async function send(rt: { method: string; url: string }, req: PlannedRequest, stats: RestStats) {
  const t0 = performance.now();
  const headers: Record<string, string> = {};
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  const route = `${rt.method} ${rt.url}`;
  const example = () =>
    `${rt.method} ${req.path.slice(0, 160)} [${req.desc}] ct=${JSON.stringify(req.contentType)} body=${
      req.body === undefined ? 'none' : req.body instanceof Buffer ? show(req.body, 160) : 'stream'
    }`;
  stats.requests++;
  if (req.body !== undefined) stats.bodies++;
  else stats.queries++;
  let status: number;
  let text: string;
  try {
    const res = await fetch(s.base + req.path, {
      method: rt.method,
      headers,
      body: req.body,
      ...(req.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    status = res.status;
    text = await res.text();
  } catch (err) {
    finding(`rest: ${route}: the request failed at the connection level`, `${(err as Error).message}: ${example()}`);
    return;
  }
  stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
  stats.msByRoute.set(route, (stats.msByRoute.get(route) ?? 0) + performance.now() - t0);
  if (status >= 500) {
    finding(`rest: ${route} answered ${status}`, `${example()} -> ${text.slice(0, 160)}`);
    return;
  }
  if (req.mustBe && status !== req.mustBe) {
    finding(
      `rest: ${route}: ${req.desc.replace(/\d+/g, 'N')} must get ${req.mustBe}`,
      `${example()} -> ${status} ${text.slice(0, 160)}`,
    );
  }
  if (status >= 400) {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const e = body?.error;
    const shaped =
      e !== null &&
      typeof e === 'object' &&
      (ERROR_CODES as readonly string[]).includes(e.code) &&
      typeof e.message === 'string';
    if (!shaped) {
      finding(
        `rest: a ${status} without the {error:{code,message}} body (${typeof body?.code === 'string' ? body.code : text ? 'another shape' : 'empty body'})`,
        `${example()} -> ${JSON.stringify(text.slice(0, 200))}`,
      );
    } else if (!CLIENT_CODES.has(e.code) && e.code !== 'rate_limited') {
      finding(`rest: ${route}: a ${status} with code ${e.code}`, example());
    }
  }
}
