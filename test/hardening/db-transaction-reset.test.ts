import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { connectPg, DbUnavailableError, type Db } from '../../server/db/client.js';

// A connection lost in the middle of a transaction (the words pass runs one every second)
// fails that transaction as "unavailable"; it must not end the process (an 'error' event on a
// checked-out pg client with no listener throws), and the pool recovers by itself.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  const url = new URL(database.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${proxy.port}`;
  db = connectPg(url.toString(), { connectTimeoutMs: 1000, queryTimeoutMs: 1500 });
});
afterAll(async () => {
  await db?.close().catch(() => {});
  await proxy?.close();
  await database?.drop();
});

it('a connection reset between two statements of a transaction fails it as unavailable, and nothing else', async () => {
  const outcome = db.transaction(async (tx) => {
    await tx.query('SELECT 1');
    proxy.cut('reset');
    // The reset reaches the idle client here, between statements.
    await new Promise((r) => setTimeout(r, 200));
    await tx.query('SELECT 1');
  });
  await expect(outcome).rejects.toBeInstanceOf(DbUnavailableError);

  proxy.restore();
  // The pool replaces the lost connection (after the short fail-fast spell).
  await new Promise((r) => setTimeout(r, 600));
  expect(await db.transaction((tx) => tx.query<{ n: number }>('SELECT 2 AS n'))).toMatchObject({ rows: [{ n: 2 }] });
});
