import { createTestDatabase } from '../../test/helpers/db.js';
import { spawnNode } from '../../test/helpers/processes.js';

/**
 * The built server as its own process on a fresh PostgreSQL database, so a test can stop
 * and start it like an operator would.
 */
export async function startAppServer(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const node = await spawnNode({ DATABASE_URL: db.url, ...env });
  return {
    url: node.url,
    databaseUrl: db.url,
    start: () => node.start(),
    stop: async () => void (await node.kill('SIGTERM')),
    async close() {
      await node.kill('SIGTERM');
      await db.drop();
    },
  };
}
