import type WebSocket from 'ws';
import { benchServer, openSocket, rssBytes, seedUsers, sleep } from '../lib.js';

/**
 * C idle authenticated sockets, one user each: connect rate and the server's resident memory
 * per socket. Source addresses rotate over 127.0.0.x so the ephemeral ports of one address
 * never run out. Each process here may hold at most `ulimit -n` descriptors.
 */
export async function connections(o: { count: number; concurrency: number }) {
  const srv = await benchServer({ PRESENCE_GROUP_LIMIT: '0' });
  try {
    const users = await seedUsers(srv.pool, o.count);
    await sleep(500);
    global.gc?.();
    const before = rssBytes(srv.node.pid!);
    const sockets: WebSocket[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < users.length) {
          const i = next++;
          sockets.push(await openSocket(srv.url, users[i]!.token, { localAddress: `127.0.0.${2 + (i % 50)}` }));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    await sleep(2000);
    const after = rssBytes(srv.node.pid!);
    for (const ws of sockets) ws.terminate();
    return {
      scenario: 'connections',
      options: o,
      connected: sockets.length,
      connects_per_second: Math.round(sockets.length / seconds),
      server_rss_mib_before: Math.round(before / 2 ** 20),
      server_rss_mib_after: Math.round(after / 2 ** 20),
      rss_kib_per_socket: Math.round(((after - before) / sockets.length / 1024) * 10) / 10,
    };
  } finally {
    await srv.close();
  }
}
