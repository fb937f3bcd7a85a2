import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { authenticate } from '../auth/service.js';
import { AppError } from '../errors.js';

/** onRequest hook: a valid `Authorization: Bearer <access token>` or 401 before anything else runs. */
export function requireAuth(ctx: Ctx) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new AppError('unauthorized', 'Sign in: send Authorization: Bearer <token>');
    req.auth = await authenticate(ctx, match[1]);
    // Every later line about this request, the "request completed" one included, names the user.
    req.log = req.log.child({ userId: req.auth.userId });
    reply.log = req.log;
  };
}

export function userId(req: FastifyRequest): string {
  if (!req.auth) throw new AppError('unauthorized', 'Not signed in');
  return req.auth.userId;
}
