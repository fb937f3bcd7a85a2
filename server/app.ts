import Fastify, { type FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Ctx } from './context.js';
import { connectDb, isConnectionError, type Db } from './db/client.js';
import { migrate } from './db/migrate.js';
import { createMemoryBus, type Bus } from './bus/bus.js';
import { createMemoryPresence, type Presence } from './presence/presence.js';
import { createRedisPresence } from './presence/redis-presence.js';
import { announceOnline, userWentOffline } from './presence/service.js';
import { createRedisBus } from './bus/redis-bus.js';
import { PublishOrder } from './messages/publish-order.js';
import { createLogger } from './log.js';
import { handleHttpError } from './http/errors.js';
import { webRoutes } from './http/web.js';
import { healthRoutes, type Lifecycle } from './http/health.js';
import { metricsRoutes } from './http/metrics.js';
import { securityPlugins } from './http/security.js';
import { docsRoutes, openApi } from './http/docs.js';
import { authRoutes } from './auth/routes.js';
import { SessionCache } from './auth/session-cache.js';
import { userRoutes } from './users/routes.js';
import { avatarRoutes } from './users/avatar.js';
import { conversationRoutes } from './conversations/routes.js';
import { groupPhotoRoutes } from './conversations/photo.js';
import { messageRoutes } from './messages/routes.js';
import { warmSends } from './messages/service.js';
import { warmSearch } from './search/service.js';
import { callRoutes } from './calls/routes.js';
import { realtimeGateway } from './realtime/gateway.js';
import { accountRoutes } from './accounts/routes.js';
import { createMetrics, instrumentBus, instrumentDb } from './metrics.js';
import { searchRoutes } from './search/routes.js';
import { startWorker } from './jobs/queue.js';
import { createStorage, type Storage } from './uploads/storage.js';
import { deleteStoredJob } from './uploads/service.js';
import { uploadRoutes } from './uploads/routes.js';
import { startHousekeeping } from './jobs/housekeeping.js';
import { startSearchWords } from './search/words.js';
import { createMailer, type Mail } from './mail/mailer.js';

export interface BuildOptions {
  /** Use this database instead of connecting one (tests share a prepared one). */
  db?: Db;
  bus?: Bus;
  presence?: Presence;
  logger?: Logger;
  storage?: Storage;
}

/** How long a starting node waits for its database (started together, it may not be up yet). */
const STARTUP_WAIT_MS = 30_000;

/** Runs `fn`, again every half second while the database cannot be reached, for STARTUP_WAIT_MS. */
async function untilReachable<T>(fn: () => Promise<T>, log: Logger): Promise<T> {
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() > deadline) throw err;
      if (attempt === 1) log.warn({ err }, 'database unreachable; waiting for it');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Builds the whole server: stores, services, routes. Call `app.listen` to serve it. */
export async function buildApp(config: Config, opts: BuildOptions = {}) {
  const log =
    opts.logger ??
    createLogger(config.LOG_LEVEL, undefined, config.NODE_ENV === 'development' && process.stdout.isTTY === true);
  const db =
    opts.db ??
    (await connectDb({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      poolIdleMs: config.DATABASE_POOL_IDLE_MS,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    }));
  const applied = await untilReachable(() => migrate(db), log);
  if (applied.length) log.info({ applied }, 'migrations applied');

  // One node id per process: the bus recognises its own echoes, presence names its entries.
  const nodeId = randomUUID();
  const redisPresence = config.REDIS_URL
    ? createRedisPresence(config.REDIS_URL, nodeId, config.PRESENCE_TTL_MS, log)
    : undefined;
  const metrics = createMetrics();
  const bus = instrumentBus(
    opts.bus ?? (config.REDIS_URL ? createRedisBus(config.REDIS_URL, nodeId, log) : createMemoryBus()),
    metrics,
  );
  // Every revocation, from this node or another, clears the session from this node's cache.
  const sessions = new SessionCache(bus, config.SESSION_CACHE_SECONDS * 1000);
  bus.listen({ sessionRevoked: (id) => sessions.forgetSession(id), userDisabled: (id) => sessions.forgetUser(id) });
  const ctx: Ctx = {
    db: instrumentDb(db, metrics),
    config,
    log,
    bus,
    sessions,
    metrics,
    presence: opts.presence ?? redisPresence ?? createMemoryPresence(),
    publishOrder: new PublishOrder(),
    now: () => new Date(),
    jobs: { poke: () => {} },
    storage: opts.storage ?? (await createStorage(config)),
  };
  const mailer = createMailer(config.SMTP_URL, config.MAIL_FROM, log, config.NODE_ENV === 'production');
  const worker = startWorker(
    ctx,
    { email: (p) => mailer.send(p as unknown as Mail), delete_stored: deleteStoredJob(ctx) },
    { pollMs: config.JOB_POLL_MS },
  );
  ctx.jobs = worker;
  // Before the first socket and request: the send path's connections prepare their statement
  // now, and search's are opened (a server's first searches would otherwise open them).
  await Promise.all([
    warmSends(ctx).catch((err: unknown) => log.warn({ err }, 'readying the send path failed')),
    warmSearch(ctx).catch((err: unknown) => log.warn({ err }, 'readying search failed')),
  ]);
  const stopHousekeeping = startHousekeeping(ctx);
  const stopSearchWords = startSearchWords(ctx);
  // Users of a node that died go offline when their entries expire.
  redisPresence?.onExpired((userId) => {
    userWentOffline(ctx, userId).catch((err) => log.error({ err }, 'offline after expiry failed'));
  });
  // Users whose entries were lost (a Redis outage) are announced again when this node renews them.
  redisPresence?.onRevived((userId) => {
    announceOnline(ctx, userId).catch((err) => log.error({ err }, 'online after revival failed'));
  });

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    bodyLimit: 1024 * 1024,
    // Behind Caddy (or any proxy) the client's address comes from X-Forwarded-For.
    trustProxy: config.TRUST_PROXY,
    forceCloseConnections: true,
    // Router errors (bad percent-encoding: 400, a path parameter over 100 characters: 414) get the same body.
    frameworkErrors: (err, req, reply) => handleHttpError(err, req, reply),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleHttpError);
  app.decorateRequest('auth', null);
  // Every route, as registered (the authorization matrix test fails when one has no row).
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const closeSecurity = await securityPlugins(app, config);
  await openApi(app);
  // The WebSocket plugin must be registered before the other routes.
  let realtime: Awaited<ReturnType<typeof realtimeGateway>> | undefined;
  await app.register(async (a) => {
    realtime = await realtimeGateway(a, ctx);
  });
  const lifecycle: Lifecycle = { stopping: false };
  await app.register((a) => healthRoutes(a, ctx, lifecycle));
  await metricsRoutes(app, ctx);
  await app.register(docsRoutes);
  await app.register((a) => authRoutes(a, ctx));
  await app.register((a) => userRoutes(a, ctx));
  await app.register((a) => avatarRoutes(a, ctx));
  await app.register((a) => conversationRoutes(a, ctx));
  await app.register((a) => groupPhotoRoutes(a, ctx));
  await app.register((a) => messageRoutes(a, ctx));
  await app.register((a) => callRoutes(a, ctx));
  await app.register((a) => accountRoutes(a, ctx));
  await app.register((a) => searchRoutes(a, ctx));
  await app.register((a) => uploadRoutes(a, ctx));
  await webRoutes(app);

  app.addHook('onClose', async () => {
    // Sockets are closed by now (1012); let their frames and presence updates finish first.
    await realtime?.drain();
    stopHousekeeping();
    await stopSearchWords();
    await worker.stop();
    closeSecurity();
    mailer.close();
    await ctx.bus.close();
    await ctx.presence.close();
    if (!opts.db) await db.close();
  });
  return { app, ctx, nodeId, routes, lifecycle };
}
