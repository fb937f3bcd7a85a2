import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { authenticate } from '../auth/service.js';
import { AppError } from '../errors.js';

/** onRequest hook: a valid `Authorization: Bearer <access token>` or 401 before anything else runs. */
export function requireAuth(ctx: Ctx) {
  return async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new AppError('unauthorized', 'Sign in: send Authorization: Bearer <token>');
    req.auth = await authenticate(ctx, match[1]);
  };
}

export function userId(req: FastifyRequest): string {
  if (!req.auth) throw new AppError('unauthorized', 'Not signed in');
  return req.auth.userId;
}
