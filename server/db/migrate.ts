import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant; every node takes the same lock so only one migrates at a time.
const LOCK_KEY = 727_274_001;
// A migration may wait long for the lock (another node migrating) or run long on a big table.
const NO_TIMEOUT = { queryTimeoutMs: 0 };

export interface Migration {
  version: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/** Applies the migrations not yet applied, in order, each in its own transaction. Returns their versions. */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  // Under the lock too: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin
  // (two nodes booting at once on a fresh database).
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  }, NO_TIMEOUT);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const { rowCount } = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rowCount > 0) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      return true;
    }, NO_TIMEOUT);
    if (done) applied.push(m.version);
  }
  return applied;
}

/** Versions known to the code but not applied to the database (readiness uses it). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  return readMigrations()
    .map((m) => m.version)
    .filter((v) => !applied.has(v));
}
