// A load-driver process for the `connections` scenario: each process may hold only
// `ulimit -n` descriptors, so above that many sockets the driver forks several of these.
// It says 'ready', then gets {targets: [[url, token, localAddress], ...], concurrency} over IPC, opens an
// authenticated socket for each (resolved at `ready`), answers {connected, failed, retried,
// error}, and holds them until the parent disconnects.
import type WebSocket from 'ws';
import { openSocket, sleep } from './lib.js';

const sockets: WebSocket[] = [];
process.once('message', async (m) => {
  const { targets, concurrency } = m as { targets: [string, string, string][]; concurrency: number };
  let next = 0;
  let failed = 0;
  let retried = 0;
  let error: string | null = null;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < targets.length) {
        const [url, token, localAddress] = targets[next++]!;
        // As a client does: a refused or dropped attempt is tried again (twice), after a pause.
        for (let attempt = 1; ; attempt++) {
          try {
            sockets.push(await openSocket(url, token, { localAddress }));
            break;
          } catch (err) {
            error ??= String(err);
            if (attempt < 3) {
              retried++;
              await sleep(250 * attempt + Math.random() * 250);
              continue;
            }
            failed++;
            break;
          }
        }
      }
    }),
  );
  process.send!({ connected: sockets.length, failed, retried, error });
});
process.send!('ready');
process.once('disconnect', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
