import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminStats,
  AdminUserList,
  AdminUsersQuery,
  ChangePasswordBody,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  SessionList,
  VerifyEmailBody,
} from '../../protocol/accounts.js';
import { EntityId } from '../../protocol/ids.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { AppError } from '../errors.js';
import { authLimit, userLimit } from '../http/security.js';
import {
  adminListUsers,
  adminSetDisabled,
  adminStats,
  changePassword,
  confirmPasswordReset,
  endOtherSessions,
  endSession,
  listSessions,
  requestPasswordReset,
  requireAdmin,
  resendVerification,
  verifyEmail,
} from './service.js';

const auth = (req: { auth: { userId: string; sessionId: string } | null }) => {
  if (!req.auth) throw new AppError('unauthorized', 'Not signed in');
  return req.auth;
};

export async function accountRoutes(app: App, ctx: Ctx) {
  // Public: the links in emails work without being signed in.
  app.post(
    '/api/auth/verify-email',
    { config: authLimit(ctx.config), schema: { body: VerifyEmailBody, response: { 204: z.null() } } },
    async (req, reply) => {
      await verifyEmail(ctx, req.body.token);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/auth/password-reset/request',
    { config: authLimit(ctx.config), schema: { body: PasswordResetRequestBody, response: { 202: z.null() } } },
    async (req, reply) => {
      await requestPasswordReset(ctx, req.body.email);
      return reply.status(202).send(null);
    },
  );
  app.post(
    '/api/auth/password-reset/confirm',
    { config: authLimit(ctx.config), schema: { body: PasswordResetConfirmBody, response: { 204: z.null() } } },
    async (req, reply) => {
      await confirmPasswordReset(ctx, req.body.token, req.body.new_password);
      return reply.status(204).send(null);
    },
  );

  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.addHook('onRequest', requireAuth(ctx));

    scope.post(
      '/api/auth/resend-verification',
      { config: userLimit(ctx.config.RATE_LIMIT_AUTH_PER_MINUTE), schema: { response: { 202: z.null() } } },
      async (req, reply) => {
        await resendVerification(ctx, userId(req));
        return reply.status(202).send(null);
      },
    );
    scope.post(
      '/api/users/me/password',
      { schema: { body: ChangePasswordBody, response: { 204: z.null() } } },
      async (req, reply) => {
        await changePassword(ctx, auth(req), req.body.current_password, req.body.new_password);
        return reply.status(204).send(null);
      },
    );
    scope.get('/api/sessions', { schema: { response: { 200: SessionList } } }, async (req) => ({
      sessions: await listSessions(ctx, auth(req)),
    }));
    scope.delete(
      '/api/sessions/:id',
      { schema: { params: z.object({ id: EntityId }), response: { 204: z.null() } } },
      async (req, reply) => {
        await endSession(ctx, userId(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
    scope.delete(
      '/api/sessions',
      { schema: { response: { 200: z.object({ ended: z.number().int() }) } } },
      async (req) => ({ ended: await endOtherSessions(ctx, auth(req)) }),
    );
  });

  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.addHook('onRequest', requireAuth(ctx));
    scope.addHook('preHandler', async (req) => requireAdmin(ctx, userId(req)));
    scope.get(
      '/api/admin/users',
      { schema: { querystring: AdminUsersQuery, response: { 200: AdminUserList } } },
      async (req) => adminListUsers(ctx, req.query),
    );
    for (const [action, disabled] of [
      ['disable', true],
      ['enable', false],
    ] as const) {
      scope.post(
        `/api/admin/users/:id/${action}`,
        { schema: { params: z.object({ id: EntityId }), response: { 204: z.null() } } },
        async (req, reply) => {
          await adminSetDisabled(ctx, userId(req), req.params.id, disabled);
          return reply.status(204).send(null);
        },
      );
    }
    scope.get('/api/admin/stats', { schema: { response: { 200: AdminStats } } }, async () => adminStats(ctx));
  });
}
