import { afterAll, afterEach, beforeAll } from 'vitest';
import { startServer, type TestServer } from './server.js';
import { createDirect, createUser, type TestUser } from './factories.js';
import { WsClient } from './ws.js';

/**
 * Declares the hooks of a realtime test file: one server for the file (with `env`), and
 * sockets opened through `connect` closed after each test.
 */
export function realtimeSuite(env: Record<string, string> = {}) {
  let server: TestServer | undefined;
  const open: WsClient[] = [];
  beforeAll(async () => {
    server = await startServer(env);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(() => server?.close());

  const suite = {
    get s(): TestServer {
      if (!server) throw new Error('the server starts in beforeAll');
      return server;
    },
    async connect(u: TestUser) {
      const c = await WsClient.connect(suite.s.base, u.token);
      open.push(c);
      return c;
    },
    /** Two new users and their direct conversation. */
    async pair() {
      const alice = await createUser(suite.s.http);
      const bob = await createUser(suite.s.http);
      const conversationId = await createDirect(suite.s.http, alice, bob);
      return { alice, bob, conversationId };
    },
  };
  return suite;
}
