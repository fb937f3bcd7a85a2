import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

/** `n` statements at once on the main pool, each holding its connection for a moment. */
const burst = (s: TestServer, n: number) =>
  Promise.all(Array.from({ length: n }, () => s.ctx.db.query('SELECT pg_sleep(0.05)')));

describe('the main connection pool', () => {
  it('keeps the connections a burst opened through a lull of more than ten seconds', async () => {
    const s = await startServer();
    try {
      await burst(s, 6);
      expect(s.ctx.db.poolStats!().total).toBeGreaterThanOrEqual(6);
      // pg's own default closed an idle connection after 10 s, and the next burst waited for
      // new ones (a connection took 22–40 ms to open here: docs/benchmarks.md, session 27).
      await new Promise((r) => setTimeout(r, 11_000));
      expect(s.ctx.db.poolStats!().total).toBeGreaterThanOrEqual(6);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('closes idle connections above two after DATABASE_POOL_IDLE_MS', async () => {
    const s = await startServer({ DATABASE_POOL_IDLE_MS: '200' });
    try {
      await burst(s, 6);
      expect(s.ctx.db.poolStats!().total).toBeGreaterThanOrEqual(6);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(s.ctx.db.poolStats!()).toMatchObject({ total: 2, idle: 2 });
    } finally {
      await s.close();
    }
  });
});
