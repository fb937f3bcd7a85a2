import pg from 'pg';
import { mkdirSync } from 'node:fs';
import type { PGlite as PGliteType } from '@electric-sql/pglite';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything that runs one parameterised statement: the database or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Counts statements sent (tests use it to prove a list costs a constant number of queries). */
  readonly stats: { queries: number };
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Return int8 (count(*), sums) as numbers: every count here is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export async function connectDb(opts: { databaseUrl?: string; dataDir: string; poolSize?: number }): Promise<Db> {
  return opts.databaseUrl ? connectPg(opts.databaseUrl, opts.poolSize ?? 10) : connectPglite(opts.dataDir);
}

export function connectPg(url: string, poolSize: number): Db {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', () => {});
  const stats = { queries: 0 };
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      stats.queries++;
      const r = await c.query(text, params as unknown[] | undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      stats.queries++;
      await c.query(sql);
    },
  });
  return {
    kind: 'pg',
    stats,
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

/** Embedded PostgreSQL (PGlite) in `dataDir`, or in memory when `dataDir` is `memory://`. */
export async function connectPglite(dataDir: string): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create(dataDir);
  return wrapPglite(lite);
}

export function wrapPglite(lite: PGliteType): Db {
  const stats = { queries: 0 };
  type Tx = Pick<PGliteType, 'query' | 'exec'>;
  const wrap = (c: Tx): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[]) {
      stats.queries++;
      const r = await c.query<R>(text, params as unknown[] | undefined);
      // PGlite reports affectedRows = 0 for a SELECT; a statement that returns rows counts them.
      return { rows: r.rows, rowCount: r.fields.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
    },
    async exec(sql: string) {
      stats.queries++;
      await c.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    stats,
    ...wrap(lite),
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    async ping() {
      await lite.query('SELECT 1');
    },
    async close() {
      await lite.close();
    },
  };
}

/** True when `err` is PostgreSQL's unique violation (optionally on the named constraint). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return !!e && e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
