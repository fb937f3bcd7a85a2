import cors from '@fastify/cors';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { RetryLaterError } from '../errors.js';
import type { App } from './types.js';

const MINUTE = 60_000;

/**
 * Helmet's headers for `options`, computed once. (@fastify/helmet ran helmet with the options
 * on every request: each time it parsed the CSP's directives again and built its middlewares,
 * for the same headers.)
 */
export function securityHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * Security headers (a CSP the web client passes), CORS for ALLOWED_ORIGINS only, and the HTTP
 * rate limiter (per route, shared through Redis when REDIS_URL is set). Returns a closer.
 */
export async function securityPlugins(app: App, config: Config): Promise<() => void> {
  const headers = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", ...config.ALLOWED_ORIGINS],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // Behind plain HTTP in development; Caddy adds HSTS with TLS in production.
    strictTransportSecurity: false,
  });
  const entries = Object.entries(headers);
  // The same headers on every response, set as helmet set them (on the raw response, so that
  // error answers have them too); a route's own win (uploads: a stricter CSP).
  app.addHook('onRequest', (_req, reply, done) => {
    for (const [name, value] of entries) reply.raw.setHeader(name, value);
    done();
  });
  await app.register(cors, { origin: config.ALLOWED_ORIGINS.length ? config.ALLOWED_ORIGINS : false });

  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        // A Redis that hangs fails the count (and the limiter lets the request through).
        commandTimeout: 1_000,
      })
    : undefined;
  redis?.on('error', () => {});
  await app.register(rateLimit, {
    global: false,
    redis,
    nameSpace: 'chatify:ratelimit:',
    // A Redis outage must not take sign-in down: the limiter then lets requests through.
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) =>
      new RetryLaterError(`Too many requests; try again in ${Math.ceil(ctx.ttl / 1000)} s`, ctx.ttl),
  });
  return () => redis?.disconnect();
}

/** Sign-up, sign-in, refresh and the email-link routes: per client address. */
export const authLimit = (config: Config) => ({
  rateLimit: {
    max: config.RATE_LIMIT_AUTH_PER_MINUTE,
    timeWindow: MINUTE,
    keyGenerator: (req: FastifyRequest) => `ip:${req.ip}`,
  },
});

/** Signed-in routes: per user, counted after authentication. */
export const userLimit = (max: number) => ({
  rateLimit: {
    max,
    timeWindow: MINUTE,
    hook: 'preHandler' as const,
    keyGenerator: (req: FastifyRequest) => (req.auth ? `user:${req.auth.userId}` : `ip:${req.ip}`),
  },
});
