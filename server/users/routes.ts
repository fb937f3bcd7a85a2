import { PublicUser, SelfUser, UpdateMeBody, UserList, UserSearchQuery } from '../../protocol/users.js';
import { IdParams } from '../../protocol/conversations.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { getMe, getUser, searchUsers, updateMe } from './service.js';

export async function userRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));

  app.get('/api/users/me', { schema: { response: { 200: SelfUser } } }, async (req) => getMe(ctx, userId(req)));

  app.patch('/api/users/me', { schema: { body: UpdateMeBody, response: { 200: SelfUser } } }, async (req) =>
    updateMe(ctx, userId(req), { displayName: req.body.display_name, relayOnly: req.body.relay_only }),
  );

  app.get('/api/users', { schema: { querystring: UserSearchQuery, response: { 200: UserList } } }, async (req) => ({
    users: await searchUsers(ctx, userId(req), req.query.query),
  }));

  app.get('/api/users/:id', { schema: { params: IdParams, response: { 200: PublicUser } } }, async (req) =>
    getUser(ctx, userId(req), req.params.id),
  );
}
