import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectPg, type Db } from './client.js';
import { migrate, readMigrations } from './migrate.js';
import { createTestDatabase } from '../../test/helpers/db.js';

// Migration 0013 (decision 032) replaces the full-text index with two halves, which an
// operator may have built beforehand with CREATE INDEX CONCURRENTLY. One such build that
// failed leaves an invalid index under its name: the migration must stop, not drop the only
// index searches can use.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = connectPg(database.url, { poolSize: 2 });
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

const indexes = async () =>
  (
    await db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname LIKE 'messages_search_vector%' ORDER BY 1`,
    )
  ).rows;

it('stops on a half left invalid by a failed concurrent build, and keeps the old index until it is rebuilt', async () => {
  const all = readMigrations();
  const at = all.findIndex((m) => m.version.startsWith('0013_'));
  expect(at).toBeGreaterThan(0);
  await migrate(db, all.slice(0, at));
  // A concurrent build that failed: the index exists, marked invalid.
  await db.query(`CREATE INDEX messages_search_vector_even ON messages USING gin (search_vector) WHERE (seq & 1) = 0`);
  await db.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'messages_search_vector_even'::regclass`);

  await expect(migrate(db, all)).rejects.toThrow(/invalid/);
  expect(await indexes()).toEqual([
    { name: 'messages_search_vector', valid: true },
    { name: 'messages_search_vector_even', valid: false },
  ]);

  // Dropped, as the error says: the migration builds both halves and drops the old index.
  await db.query('DROP INDEX messages_search_vector_even');
  expect(await migrate(db, all)).toEqual(all.slice(at).map((m) => m.version));
  expect(await indexes()).toEqual([
    { name: 'messages_search_vector_even', valid: true },
    { name: 'messages_search_vector_odd', valid: true },
  ]);
});
