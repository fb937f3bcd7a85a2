import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectPg, type Db } from './client.js';
import { migrate, readMigrations } from './migrate.js';
import { createTestDatabase } from '../../test/helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const dbs: Db[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(dbs.map((d) => d.close()));
  await database?.drop();
});

it('five nodes migrating a fresh database at once apply each migration exactly once', async () => {
  for (let i = 0; i < 5; i++) dbs.push(connectPg(database.url, { poolSize: 2 }));
  const applied = await Promise.all(dbs.map((d) => migrate(d)));
  const all = readMigrations().map((m) => m.version);
  expect(all.length).toBeGreaterThan(1);
  expect(applied.flat().sort()).toEqual(all);
  const { rows } = await dbs[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
  expect(rows).toEqual(all.map((version) => ({ version })));
});
