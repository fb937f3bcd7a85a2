import { CallList, IceServers } from '../../protocol/calls.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { listCalls, relayOnlyOf } from './service.js';
import { iceServersFor } from './turn.js';

export async function callRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));

  app.get('/api/calls', { schema: { response: { 200: CallList } } }, async (req) => ({
    calls: await listCalls(ctx, userId(req)),
  }));

  app.get('/api/calls/ice-servers', { schema: { response: { 200: IceServers } } }, async (req) => {
    const me = userId(req);
    return iceServersFor(ctx.config, me, await relayOnlyOf(ctx, me));
  });
}
