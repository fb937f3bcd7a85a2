import { RESYNC_CHUNK, RESYNC_DATA, RESYNC_EVERY_MS, RESYNC_MIN_GAP_MS } from '../bus/bus.js';
import type { Connection } from './connection.js';

/**
 * Passes that ask every socket of this node to catch up (events for them may have been lost
 * between nodes: decision 038). `sent` counts the frames written.
 */
export function resyncPasses(sockets: { all(): Iterable<Connection> }, sent: (n: number) => void) {
  let timer: NodeJS.Timeout | undefined;
  let later: NodeJS.Timeout | undefined;
  let lastAt = -Infinity;

  function resyncAll() {
    // At most one pass every RESYNC_MIN_GAP_MS (a Redis that keeps failing): one asked for
    // sooner starts once the gap has passed, and asks of the meantime make one pass.
    const wait = lastAt + RESYNC_MIN_GAP_MS - Date.now();
    if (wait > 0) {
      later ??= setTimeout(() => {
        later = undefined;
        resyncAll();
      }, wait).unref();
      return;
    }
    // A thousand sockets every 100 ms: their catch-ups spread over seconds, not all at once.
    // A second pass starts again with every socket (the first ones may have caught up before
    // the second loss); the rest of the first is dropped.
    clearTimeout(timer);
    const conns = [...sockets.all()];
    if (conns.length === 0) return;
    lastAt = Date.now();
    const step = (from: number) => {
      for (const conn of conns.slice(from, from + RESYNC_CHUNK)) conn.sendRaw(RESYNC_DATA);
      sent(Math.min(RESYNC_CHUNK, conns.length - from));
      if (from + RESYNC_CHUNK < conns.length) (timer = setTimeout(step, RESYNC_EVERY_MS, from + RESYNC_CHUNK)).unref();
    };
    step(0);
  }

  return {
    resyncAll,
    stop() {
      clearTimeout(timer);
      clearTimeout(later);
    },
  };
}
