import Fastify, { type FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Ctx } from './context.js';
import { connectDb, type Db } from './db/client.js';
import { migrate } from './db/migrate.js';
import { createMemoryBus, type Bus } from './bus/bus.js';
import { createMemoryPresence, type Presence } from './presence/presence.js';
import { createLogger } from './log.js';
import { handleHttpError } from './http/errors.js';
import { webRoutes } from './http/web.js';
import { healthRoutes } from './http/health.js';
import { authRoutes } from './auth/routes.js';
import { userRoutes } from './users/routes.js';
import { conversationRoutes } from './conversations/routes.js';
import { messageRoutes } from './messages/routes.js';
import { realtimeGateway } from './realtime/gateway.js';

export interface BuildOptions {
  /** Use this database instead of connecting one (tests share a prepared one). */
  db?: Db;
  bus?: Bus;
  presence?: Presence;
  logger?: Logger;
}

/** Builds the whole server: stores, services, routes. Call `app.listen` to serve it. */
export async function buildApp(config: Config, opts: BuildOptions = {}) {
  const log = opts.logger ?? createLogger(config.LOG_LEVEL);
  const db =
    opts.db ??
    (await connectDb({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
    }));
  const applied = await migrate(db);
  if (applied.length) log.info({ applied }, 'migrations applied');

  const ctx: Ctx = {
    db,
    config,
    log,
    bus: opts.bus ?? createMemoryBus(),
    presence: opts.presence ?? createMemoryPresence(),
    now: () => new Date(),
  };

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleHttpError);
  app.decorateRequest('auth', null);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  // The WebSocket plugin must be registered before the other routes.
  await app.register((a) => realtimeGateway(a, ctx).then(() => undefined));
  await app.register((a) => healthRoutes(a, ctx));
  await app.register((a) => authRoutes(a, ctx));
  await app.register((a) => userRoutes(a, ctx));
  await app.register((a) => conversationRoutes(a, ctx));
  await app.register((a) => messageRoutes(a, ctx));
  await webRoutes(app);

  app.addHook('onClose', async () => {
    await ctx.bus.close();
    await ctx.presence.close();
    if (!opts.db) await db.close();
  });
  return { app, ctx };
}
