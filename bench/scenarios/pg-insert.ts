import { createTestDatabase } from '../../test/helpers/db.js';
import { benchPool } from '../lib.js';

/**
 * PostgreSQL's own ceiling on this machine, synchronous commit on: one row per transaction
 * from `clients` connections, against 1000-row INSERTs (unnest) from the same connections.
 */
export async function pgInsert(o: { clients: number; seconds: number }) {
  const db = await createTestDatabase();
  const pool = benchPool(db.url, o.clients);
  try {
    await pool.query('CREATE TABLE t (id bigserial PRIMARY KEY, conversation_id uuid NOT NULL, body text NOT NULL)');
    const run = async (rowsPerTx: number) => {
      let rows = 0;
      const until = performance.now() + o.seconds * 1000;
      const ids = Array.from({ length: rowsPerTx }, () => '00000000-0000-4000-8000-000000000000');
      const bodies = Array.from({ length: rowsPerTx }, (_, i) => `message body number ${i}`);
      await Promise.all(
        Array.from({ length: o.clients }, async () => {
          while (performance.now() < until) {
            if (rowsPerTx === 1) {
              await pool.query('INSERT INTO t (conversation_id, body) VALUES ($1, $2)', [ids[0], bodies[0]]);
            } else {
              await pool.query('INSERT INTO t (conversation_id, body) SELECT * FROM unnest($1::uuid[], $2::text[])', [
                ids,
                bodies,
              ]);
            }
            rows += rowsPerTx;
          }
        }),
      );
      return Math.round(rows / o.seconds);
    };
    const single = await run(1);
    const batched = await run(1000);
    return { scenario: 'pg-insert', options: o, single_row_tx_per_second: single, batched_rows_per_second: batched };
  } finally {
    await pool.end();
    await db.drop();
  }
}
