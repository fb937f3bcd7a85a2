import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.close());

it('serves an OpenAPI document generated from the same zod schemas, with every API route', async () => {
  const res = await s.http.get('/api/docs/json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toMatch(/^3\./);
  const paths = res.body.paths as Record<string, Record<string, any>>;
  // Every REST route under /api (the WebSocket and the docs themselves aside) is documented;
  // /healthz, /readyz and /metrics are there too.
  for (const p of ['/healthz', '/readyz', '/metrics']) expect(paths).toHaveProperty([p]);
  const expected = s.routes
    .filter((r) => r.url.startsWith('/api/') && r.url !== '/api/ws' && !r.url.startsWith('/api/docs'))
    .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
    .sort();
  const documented = Object.entries(paths)
    .filter(([path]) => path.startsWith('/api/') && path !== '/api/ws')
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
    .sort();
  expect(documented).toEqual(expected);
  // The schemas are the real ones: limits and required fields come through.
  const send = paths['/api/conversations/{id}/messages']!.post;
  const body = send.requestBody.content['application/json'].schema;
  // content defaults to '' (an image may go without a caption); client_id has no default.
  expect(body.required).toEqual(expect.arrayContaining(['client_id']));
  expect(Object.keys(body.properties)).toEqual(
    expect.arrayContaining(['content', 'message_type', 'reply_to', 'attachment_id']),
  );
  expect(body.properties.content.maxLength).toBe(4000);
  expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(['200', '201']));
});

it('serves a plain page listing the API at /api/docs', async () => {
  const res = await fetch(`${s.base}/api/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  const html = await res.text();
  expect(html).toContain('/api/docs/json');
  expect(html).toContain('/api/conversations/{id}/messages');
  expect(html).not.toContain('<script');
});
