import { startServer } from '../../test/helpers/server.js';
import { benchPool, percentiles, seedConversation, seedUsers } from '../lib.js';

/**
 * The conversation list for users with 1..500 conversations: latency, and SQL statements per
 * request (counted by the server's own Db wrapper, so the server runs in this process).
 */
export async function list(o: { sizes: number[]; requests: number }) {
  const s = await startServer({ JWT_SECRET: 'cluster-secret-0123456789-abcdefghijklmnopqrstuvwxyz' });
  const pool = benchPool(s.config.DATABASE_URL, 4);
  try {
    const rows = [];
    for (const size of o.sizes) {
      const users = await seedUsers(pool, size + 1);
      const me = users[0]!;
      for (let i = 0; i < size; i++) {
        const conversationId = await seedConversation(pool, [me.id, users[i + 1]!.id]);
        await pool.query(
          `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body)
           SELECT $1::uuid, g, $2::uuid, $1::text || g, 'hello ' || g FROM generate_series(1, 3) g`,
          [conversationId, users[i + 1]!.id],
        );
        await pool.query('UPDATE conversations SET last_seq = 3, last_message_at = now() WHERE id = $1', [
          conversationId,
        ]);
      }
      const latencies: number[] = [];
      // The fewest per request: a background pass during one (search words, the job queue's
      // poll) adds its statements to the process's counter.
      let statements = Infinity;
      for (let i = 0; i < o.requests; i++) {
        const q0 = s.ctx.db.stats.queries;
        const started = performance.now();
        const res = await s.http.get('/api/conversations', me.token);
        latencies.push(performance.now() - started);
        statements = Math.min(statements, s.ctx.db.stats.queries - q0);
        if (res.status !== 200 || res.body.conversations.length !== size)
          throw new Error(`list answered ${res.status}`);
      }
      rows.push({ conversations: size, statements_per_request: statements, latency_ms: percentiles(latencies) });
    }
    return { scenario: 'list', options: o, rows };
  } finally {
    await pool.end();
    await s.close();
  }
}
