import { timingSafeEqual } from 'node:crypto';
import type { Ctx } from '../context.js';
import type { App } from './types.js';
import { AppError } from '../errors.js';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** `GET /metrics` in Prometheus text format, behind `METRICS_TOKEN` when one is set. */
export async function metricsRoutes(app: App, ctx: Ctx) {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route };
    ctx.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    ctx.metrics.httpSeconds.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (req, reply) => {
    const token = ctx.config.METRICS_TOKEN;
    if (token) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!same(given, token)) throw new AppError('unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>');
    }
    return reply.header('content-type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
