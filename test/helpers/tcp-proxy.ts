import { createServer, connect, type Socket } from 'node:net';

export type CutMode = 'reset' | 'blackhole';

/**
 * A TCP proxy in front of a real server that a test can cut: `reset` closes every connection
 * and refuses new ones at once (the database went down); `blackhole` keeps connections open but
 * passes no byte either way (a partition: nothing answers, nothing fails). `restore` heals it.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let mode: CutMode | null = null;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (mode === 'reset') return client.resetAndDestroy();
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (mode === null) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const destroyAll = () => {
    for (const [a, b] of pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    get connections() {
      return pairs.size;
    },
    cut(how: CutMode) {
      mode = how;
      if (how === 'reset') destroyAll();
    },
    /** Heals the link; connections that were blackholed are dropped (their streams are torn). */
    restore() {
      if (mode === 'blackhole') destroyAll();
      mode = null;
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
