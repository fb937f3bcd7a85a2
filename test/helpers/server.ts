import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../server/app.js';
import { createLogger } from '../../server/log.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createTestDatabase } from './db.js';
import { httpClient, type HttpClient } from './http.js';

export interface TestServer {
  base: string;
  http: HttpClient;
  app: Awaited<ReturnType<typeof buildApp>>['app'];
  ctx: Awaited<ReturnType<typeof buildApp>>['ctx'];
  /** Every registered route (HEAD left out), as buildApp lists them. */
  routes: Awaited<ReturnType<typeof buildApp>>['routes'];
  config: Config;
  close(): Promise<void>;
}

export const TEST_ENV = {
  NODE_ENV: 'test',
  // The limits have their own test (test/hardening/rate-limits.test.ts); elsewhere they would
  // only get in the way of suites that register hundreds of users from one address.
  RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  RATE_LIMIT_SEND_PER_MINUTE: '1000000',
  RATE_LIMIT_SEARCH_PER_MINUTE: '1000000',
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnop',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

/** A real server on a random port over a fresh PostgreSQL database (or PGlite with `DATA_DIR`). */
export async function startServer(
  env: Record<string, string> = {},
  opts: { logStream?: NodeJS.WritableStream } = {},
): Promise<TestServer> {
  const database = env.DATA_DIR ? null : await createTestDatabase();
  const config = loadConfig({
    ...TEST_ENV,
    ...(database ? { DATABASE_URL: database.url } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    ...env,
  });
  const logger = opts.logStream ? createLogger(config.LOG_LEVEL, opts.logStream) : pino({ level: config.LOG_LEVEL });
  const { app, ctx, routes } = await buildApp(config, { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    http: httpClient(base),
    app,
    ctx,
    routes,
    config,
    async close() {
      await app.close();
      await database?.drop();
    },
  };
}
