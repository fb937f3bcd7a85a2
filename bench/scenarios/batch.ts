import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '../../test/helpers/db.js';
import { connectPg } from '../../server/db/client.js';
import { migrate } from '../../server/db/migrate.js';
import { SEND_BATCH_SQL } from '../../server/messages/batcher.js';
import { uuidv7 } from '../../server/ids.js';
import { cpuSeconds, seedConversation, seedUsers } from '../lib.js';
import { SENTENCES } from './messaging.js';

/**
 * What the send statement costs PostgreSQL per message as batches grow: `size` sends, one in
 * each of `size` conversations, run back to back on one connection with `synchronous_commit`
 * off (the flush is measured by `throughput`; this is the statement's own CPU, read from the
 * backend's /proc entry), `rounds` times per size, the sizes interleaved. A cost that grows
 * with the batch is a statement that does not scale with load.
 */
export async function batch(o: { sizes: number[]; messagesPerRound: number; rounds: number }) {
  const db = await createTestDatabase();
  const app = connectPg(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrate(app);
    const largest = Math.max(...o.sizes);
    const users = await seedUsers(pool, 2 * largest);
    const sends: { conversationId: string; senderId: string }[] = [];
    for (let i = 0; i < largest; i++) {
      const [a, b] = [users[2 * i]!.id, users[2 * i + 1]!.id];
      sends.push({ conversationId: await seedConversation(pool, [a, b]), senderId: a });
    }
    const client = await pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
      await client.query('SET plan_cache_mode = force_generic_plan'); // as on the server's batch connections
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]!.pid;
      let nth = 0;
      const runBatches = async (size: number, count: number) => {
        for (let b = 0; b < count; b++) {
          const batch = sends.slice(0, size);
          await client.query({
            name: 'send_batch',
            text: SEND_BATCH_SQL,
            values: [
              batch.map((s) => s.conversationId),
              batch.map((s) => s.senderId),
              batch.map(() => randomUUID()),
              batch.map(() => 'text'),
              batch.map(() => SENTENCES[nth++ % SENTENCES.length]!),
              batch.map(() => null),
              batch.map(() => null),
              batch.map(() => uuidv7()),
            ],
          });
        }
      };
      const perSize = new Map(o.sizes.map((size) => [size, { cpu: [] as number[], ms: [] as number[] }]));
      for (const size of o.sizes) await runBatches(size, Math.ceil(1000 / size)); // planned and warm
      for (let r = 0; r < o.rounds; r++) {
        for (const size of o.sizes) {
          const count = Math.ceil(o.messagesPerRound / size);
          const [cpu0, t0] = [cpuSeconds(pid), performance.now()];
          await runBatches(size, count);
          perSize.get(size)!.cpu.push(((cpuSeconds(pid) - cpu0) * 1e6) / (count * size));
          perSize.get(size)!.ms.push((performance.now() - t0) / count);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      return {
        scenario: 'batch',
        options: o,
        by_size: o.sizes.map((size) => ({
          sends_per_batch: size,
          postgres_cpu_us_per_message: Math.round(median(perSize.get(size)!.cpu)),
          batch_ms: Number(median(perSize.get(size)!.ms).toFixed(2)),
        })),
      };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await app.close();
    await db.drop();
  }
}
