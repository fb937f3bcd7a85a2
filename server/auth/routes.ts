import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuthResponse, LoginBody, LogoutBody, RefreshBody, RegisterBody } from '../../protocol/auth.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { authLimit } from '../http/security.js';
import { authenticate, login, logoutWithRefreshToken, refresh, register, revokeSession } from './service.js';

const meta = (req: FastifyRequest) => ({ userAgent: req.headers['user-agent'], ip: req.ip });

export async function authRoutes(app: App, ctx: Ctx) {
  app.post(
    '/api/auth/register',
    { config: authLimit(ctx.config), schema: { body: RegisterBody, response: { 201: AuthResponse } } },
    async (req, reply) => reply.status(201).send(await register(ctx, req.body, meta(req))),
  );

  app.post(
    '/api/auth/login',
    { config: authLimit(ctx.config), schema: { body: LoginBody, response: { 200: AuthResponse } } },
    async (req) => login(ctx, req.body, meta(req)),
  );

  app.post(
    '/api/auth/refresh',
    { config: authLimit(ctx.config), schema: { body: RefreshBody, response: { 200: AuthResponse } } },
    async (req) => refresh(ctx, req.body.refresh_token, meta(req)),
  );

  /** Ends the session named by the bearer token, or by the refresh token in the body. Always 204. */
  app.post('/api/auth/logout', { schema: { body: LogoutBody, response: { 204: z.null() } } }, async (req, reply) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const claims = await authenticate(ctx, bearer).catch(() => null);
      if (claims) await revokeSession(ctx, claims.sessionId);
    }
    if (req.body?.refresh_token) await logoutWithRefreshToken(ctx, req.body.refresh_token);
    return reply.status(204).send(null);
  });
}
