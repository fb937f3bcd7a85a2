import pg from 'pg';
import { mkdirSync } from 'node:fs';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { AppError } from '../errors.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything that runs one parameterised statement: the database or an open transaction. */
export interface Queryable {
  /**
   * `name` prepares the statement once per connection and reuses it (PostgreSQL server only;
   * PGlite ignores it): PostgreSQL then plans it for the values of its first five runs and
   * afterwards once, generically, when that plan is no worse. For frequent statements whose
   * parsing and planning cost as much as running them. With `batch` it runs on the few
   * connections kept for the send batches (see connectPg), always with the generic plan.
   */
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    opts?: QueryOptions,
  ): Promise<QueryResult<R>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface QueryOptions {
  /** Prepared once per connection under this name (see Queryable.query). */
  name?: string;
  /** On the send batches' own connections (with `name`; outside a transaction). */
  batch?: boolean;
}

export interface TransactionOptions {
  /** Per-statement client-side timeout; 0 waits forever (migrations waiting on their lock). */
  queryTimeoutMs?: number;
}

export interface Db extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Counts statements sent (tests use it to prove a list costs a constant number of queries). */
  readonly stats: { queries: number };
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Pool connections (a PostgreSQL server only). */
  poolStats?(): { total: number; idle: number; waiting: number };
}

// Return int8 (count(*), sums) as numbers: every count here is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface PgOptions {
  poolSize?: number;
  /** How long a connection of the main pool above its two may stay idle before it is closed (0: never). */
  poolIdleMs?: number;
  /** How long to wait for a connection (new or from the pool) before giving up. */
  connectTimeoutMs?: number;
  /** Client-side limit on each statement: a database that stops answering is noticed in time. */
  queryTimeoutMs?: number;
}

export async function connectDb(opts: { databaseUrl?: string; dataDir: string } & PgOptions): Promise<Db> {
  return opts.databaseUrl ? connectPg(opts.databaseUrl, opts) : connectPglite(opts.dataDir);
}

/**
 * Thrown instead of a connection error or timeout; the client may retry. Not "nothing was
 * stored": a statement that timed out after it was sent may still have committed (a send
 * retried with its client_id is then answered with the stored message, not stored twice).
 */
export class DbUnavailableError extends AppError {
  constructor(override readonly cause?: unknown) {
    super('unavailable', 'The database is unavailable. Try again shortly (a message sent again is stored once).');
  }
}

// SQLSTATE classes that mean the server or the connection, not the statement, failed.
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;

/** Whether an error from pg means the database cannot be reached (as opposed to a bad statement). */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof DbUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string') return UNAVAILABLE_SQLSTATE.test(e.code) || /^E[A-Z]+$/.test(e.code);
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** A statement with pg's per-query client-side timeout (missing from @types/pg). */
const statement = (text: string, timeoutMs: number, values?: readonly unknown[], name?: string) =>
  ({ text, values, name, query_timeout: timeoutMs || undefined }) as pg.QueryConfig;

/** A NUL (U+0000) in a text parameter (22021), or a character the encoding lacks (22P05). */
function badText(err: unknown): AppError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== '22021' && code !== '22P05') return null;
  return new AppError('validation_failed', 'Text must not contain NUL (U+0000) characters');
}

/** After a connection failure, statements fail at once for this long, then one is let through as a probe. */
const FAIL_FAST_MS = 500;

export function connectPg(url: string, opts: PgOptions = {}): Db {
  const queryTimeoutMs = opts.queryTimeoutMs ?? 0;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    // Two kept open however quiet it gets: a search's every-match step uses two at once
    // (decision 032), and a new connection costs it tens of milliseconds.
    min: Math.min(2, opts.poolSize ?? 10),
    // The others, once a burst has opened them, stay open through quiet spells (10 minutes by
    // default, as HikariCP and PgBouncer do; pg's own 10 s closed them between bursts, and the
    // next burst's requests waited for new ones: 81–123 ms against 29–62 for six history pages
    // at once after an 11 s lull, docs/benchmarks.md, session 27).
    idleTimeoutMillis: opts.poolIdleMs ?? 600_000,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 0,
    keepAlive: true,
  });
  // The send batches (named, `batch`: see Queryable.query) run on a few connections of their
  // own that plan them once, generically: the hot path skips parsing and planning, and no
  // history page or search waits for a connection ahead of a send. (The setting would also
  // apply to the main pool's statements, which are planned for their values.)
  const hot = new pg.Pool({
    connectionString: url,
    max: 4,
    // Kept open when idle: a new connection would parse and plan again (tens of milliseconds),
    // and the first send after every quiet spell would wait for it.
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 0,
    keepAlive: true,
    options: '-c plan_cache_mode=force_generic_plan',
  });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', () => {});
  hot.on('error', () => {});
  const stats = { queries: 0 };
  // A circuit breaker: while the database is known to be gone, callers get their error at once
  // instead of each waiting out a timeout (a socket's frames run one after another).
  let failFastUntil = 0;
  const guard = () => {
    if (Date.now() < failFastUntil) throw new DbUnavailableError();
  };
  const translate = (err: unknown): unknown => {
    const bad = badText(err);
    if (bad) return bad;
    if (!isConnectionError(err)) return err;
    failFastUntil = Date.now() + FAIL_FAST_MS;
    return err instanceof DbUnavailableError ? err : new DbUnavailableError(err);
  };
  const wrap = (c: pg.Pool | pg.PoolClient, timeoutMs: number): Queryable => ({
    async query<R>(text: string, params?: readonly unknown[], opts?: QueryOptions) {
      stats.queries++;
      guard();
      try {
        const r = await (opts?.batch && c === pool ? hot : c).query(statement(text, timeoutMs, params, opts?.name));
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      } catch (err) {
        throw translate(err);
      }
    },
    async exec(sql: string) {
      stats.queries++;
      guard();
      try {
        await c.query(statement(sql, timeoutMs));
      } catch (err) {
        throw translate(err);
      }
    },
  });
  return {
    kind: 'pg',
    stats,
    ...wrap(pool, queryTimeoutMs),
    async transaction(fn, txOpts) {
      guard();
      const timeoutMs = txOpts?.queryTimeoutMs ?? queryTimeoutMs;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw translate(err);
      }
      const tx = wrap(client, timeoutMs);
      let broken: unknown;
      // A checked-out client has no listener of the pool's: without this one, a connection
      // lost mid-transaction would be an unhandled 'error' event, and end the process. Its
      // statement (or the next) fails on its own, as a connection error.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        // A connection that failed or timed out mid-statement is thrown away, not reused.
        if (isConnectionError(err)) broken = err;
        else await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken instanceof Error ? broken : broken ? new Error('connection broken') : undefined);
      }
    },
    async ping() {
      await pool.query(statement('SELECT 1', queryTimeoutMs));
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([pool.end(), hot.end()]);
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
      const r = await c.query<R>(text, params as unknown[] | undefined).catch((err: unknown) => {
        throw badText(err) ?? err;
      });
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

/** Whether `err` is PostgreSQL's error `code`, on `constraint` when one is named. */
function violates(err: unknown, code: string, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return !!e && e.code === code && (constraint === undefined || e.constraint === constraint);
}

/** True when `err` is PostgreSQL's unique violation (optionally on the named constraint). */
export const isUniqueViolation = (err: unknown, constraint?: string) => violates(err, '23505', constraint);

export const isForeignKeyViolation = (err: unknown, constraint: string) => violates(err, '23503', constraint);

export const isDeadlock = (err: unknown) => violates(err, '40P01');

export const isSerializationFailure = (err: unknown) => violates(err, '40001');
