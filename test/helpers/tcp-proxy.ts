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
  // Replies held back (see holdReplies), in order, with the connection each is for.
  let holding: ((chunk: Buffer) => boolean) | null = null;
  let held: [Socket, Buffer][] = [];
  const server = createServer((client) => {
    if (mode === 'reset') return client.resetAndDestroy();
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (mode !== null) return;
        if (from === upstream && holding && (held.some(([c]) => c === to) || holding(chunk))) held.push([to, chunk]);
        else to.write(chunk);
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
    /**
     * Holds back the server's bytes on a connection from the first chunk that `match` accepts
     * (and everything after it on that connection, in order) until `releaseReplies`: the
     * server has taken a request, but its answer is slow to arrive.
     */
    holdReplies(match: (chunk: Buffer) => boolean) {
      holding = match;
    },
    releaseReplies() {
      holding = null;
      for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk);
      held = [];
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
