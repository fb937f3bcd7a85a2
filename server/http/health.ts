import type { Ctx } from '../context.js';
import type { App } from './types.js';
import { pendingMigrations } from '../db/migrate.js';

/** Set when the node starts to stop: readiness fails first, so that a load balancer moves on. */
export interface Lifecycle {
  stopping: boolean;
}

export async function healthRoutes(app: App, ctx: Ctx, lifecycle: Lifecycle) {
  // Asked every few seconds by a load balancer or an orchestrator: their requests are not
  // logged at info (two lines per check, per node), only their warnings and errors.
  const quiet = { logLevel: 'warn' as const };
  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  /** Ready when the database answers, migrations are applied and the bus is connected. */
  app.get('/readyz', quiet, async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ctx.db.ping();
      const pending = await pendingMigrations(ctx.db);
      checks.database = 'ok';
      checks.migrations = pending.length ? `pending: ${pending.join(', ')}` : 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    checks.bus = ctx.bus.isHealthy() ? 'ok' : 'degraded';
    const ready = checks.database === 'ok' && checks.migrations === 'ok' && !lifecycle.stopping;
    // Without the bus a node still stores and acks; it only loses cross-node delivery.
    const status = lifecycle.stopping ? 'stopping' : !ready ? 'not_ready' : checks.bus === 'ok' ? 'ready' : 'degraded';
    return reply.status(ready ? 200 : 503).send({ status, checks });
  });
}
