import { SearchQuery, SearchResult } from '../../protocol/search.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { search } from './service.js';
import { userLimit } from '../http/security.js';

export async function searchRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));
  app.get(
    '/api/search',
    {
      config: userLimit(ctx.config.RATE_LIMIT_SEARCH_PER_MINUTE),
      schema: { querystring: SearchQuery, response: { 200: SearchResult } },
    },
    async (req) => search(ctx, userId(req), req.query),
  );
}
