// A load-driver process for the `connections` scenario: each process may hold only
// `ulimit -n` descriptors, so above that many sockets the driver forks several of these.
// It gets {targets: [[url, token, localAddress], ...], concurrency} over IPC, opens an
// authenticated socket for each (resolved at `ready`), answers {connected, failed, retried, error},
// and holds them until the parent disconnects.
import WebSocket from 'ws';

const sockets = [];
process.once('message', async ({ targets, concurrency }) => {
  let next = 0;
  let failed = 0;
  let retried = 0;
  let error = null;
  const open = ([url, token, localAddress]) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(token)}`, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        localAddress,
      });
      const onReady = (data) => {
        if (data.toString().startsWith('{"type":"ready"')) {
          ws.off('message', onReady);
          resolve(ws);
        }
      };
      ws.on('message', onReady);
      ws.once('error', reject);
      // Closed by the server before ready (a check that timed out under load, say): a failure.
      ws.once('close', (code) => reject(new Error(`closed with ${code} before ready`)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < targets.length) {
        const target = targets[next++];
        // As a client does: a refused or dropped attempt is tried again (twice).
        for (let attempt = 1; ; attempt++) {
          try {
            sockets.push(await open(target));
            break;
          } catch (err) {
            error ??= String(err);
            if (attempt < 3) {
              retried++;
              continue;
            }
            failed++;
            break;
          }
        }
      }
    }),
  );
  process.send({ connected: sockets.length, failed, retried, error });
});
process.once('disconnect', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
