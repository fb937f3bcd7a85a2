import swagger from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { App } from './types.js';

/** Registers OpenAPI generation from the routes' zod schemas (before any route exists). */
export async function openApi(app: App) {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Chatify API',
        version: '1',
        description:
          'REST API of Chatify. The real-time protocol (WebSocket frames at /api/ws) is in docs/protocol.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `/api/docs/json` (the OpenAPI document) and `/api/docs` (a plain page listing it, no scripts). */
export async function docsRoutes(app: App) {
  app.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/api/docs', { schema: { hide: true } }, async (_req, reply) => {
    const doc = app.swagger() as { paths: Record<string, Record<string, { summary?: string }>> };
    const rows = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map(
          (method) => `<tr><td>${method.toUpperCase()}</td><td><code>${escape(path)}</code></td></tr>`,
        ),
      )
      .join('\n');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chatify API</title></head>
<body><h1>Chatify API</h1>
<p>The OpenAPI 3 document, generated from the same schemas that validate every request:
<a href="/api/docs/json">/api/docs/json</a> (load it into any OpenAPI viewer or client generator).
WebSocket frames: docs/protocol.md in the repository.</p>
<table><thead><tr><th>Method</th><th>Path</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`);
  });
}
