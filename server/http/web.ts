import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.js';
import { handleNotFound } from './errors.js';

/** web/dist, from the sources (tsx) or from the compiled server in dist/. */
export function locateWebDist(): string | null {
  const candidates = ['../../web/dist/', '../../../web/dist/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`)) ?? null;
}

/**
 * Serves the built web client at / (hashed assets cached for a year, index.html never), and
 * index.html for client routes such as /c/<id>. API paths keep their JSON 404.
 */
export async function webRoutes(app: App) {
  const root = locateWebDist();
  if (!root) {
    app.log.warn('web/dist not found: the web client is not served (run npm run build)');
    app.setNotFoundHandler(handleNotFound);
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    setHeaders(reply, path) {
      reply.header('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const isPage =
      req.method === 'GET' && !req.url.startsWith('/api') && (req.headers.accept ?? '').includes('text/html');
    if (!isPage) return handleNotFound(req, reply);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
