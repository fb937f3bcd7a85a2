import { SearchQuery, SearchResult } from '../../protocol/search.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { requireAuth, userId } from '../http/auth-hook.js';
import { search } from './service.js';

export async function searchRoutes(app: App, ctx: Ctx) {
  app.addHook('onRequest', requireAuth(ctx));
  app.get('/api/search', { schema: { querystring: SearchQuery, response: { 200: SearchResult } } }, async (req) =>
    search(ctx, userId(req), req.query),
  );
}
