import { test } from '@playwright/test';
import { createTestDatabase } from '../../test/helpers/db.js';
import { readiness, spawnNode, spawnRedis, waitFor } from '../../test/helpers/processes.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';

type Node = Awaited<ReturnType<typeof spawnNode>>;

/**
 * Two nodes on one Redis, for the spec that calls it (it registers the spec's beforeAll and
 * afterAll). Node B reaches Redis through a proxy the test cuts and heals; the browsers'
 * sockets stay open through the cut: only the link between the nodes is down.
 */
export function twoNodes(env: Record<string, string> = {}) {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: Awaited<ReturnType<typeof spawnRedis>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let nodes: Node[] = [];
  test.beforeAll(async () => {
    db = await createTestDatabase();
    redis = await spawnRedis();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
    nodes = await Promise.all([
      spawnNode({ DATABASE_URL: db.url, REDIS_URL: redis.url, ...env }),
      spawnNode({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, ...env }),
    ]);
  });
  test.afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await proxy?.close();
    await redis?.kill('SIGKILL');
    await db?.drop();
  });
  return {
    get a(): Node {
      return nodes[0]!;
    },
    get b(): Node {
      return nodes[1]!;
    },
    /** Both nodes ready, one after the other, each with its log if it never gets there. */
    async ready() {
      // Beside other specs, on two busy cores, a node once took more than 15 s.
      for (const node of nodes)
        await waitFor(
          async () => (await readiness(node.url)) === 'ready',
          `${node.url} ready`,
          30_000,
          () => node.output().slice(-3000),
        );
    },
    /** Cuts B's link to Redis, and waits until B knows. */
    async cut() {
      proxy.cut('reset');
      await waitFor(async () => (await readiness(nodes[1]!.url)) === 'degraded', 'node B degraded', 10_000);
    },
    restore: () => proxy.restore(),
  };
}
