import type { Ctx } from '../context.js';
import { RetryLaterError } from '../errors.js';

const keysFor = (identifier: string, ip: string) => ({
  account: `account:${identifier.trim().toLowerCase()}`,
  ip: `ip:${ip}`,
});

/**
 * Refuses a sign-in while its account name or its address is locked out, before any password
 * is checked. Keys are built from what was typed, so unknown and known accounts behave alike.
 */
export async function checkLoginAllowed(ctx: Ctx, identifier: string, ip: string): Promise<void> {
  const k = keysFor(identifier, ip);
  const { rows } = await ctx.db.query<{ wait_ms: number }>(
    `SELECT ceil(extract(epoch FROM max(locked_until) - now()) * 1000)::int AS wait_ms
       FROM login_failures WHERE key = ANY($1::text[]) AND locked_until > now()`,
    [[k.account, k.ip]],
  );
  const wait = rows[0]?.wait_ms;
  if (wait && wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    throw new RetryLaterError(`Too many failed sign-ins; try again in ${seconds} s`, wait);
  }
}

/** Counts a failure against the account name and the address; locks either past its limit. */
export async function recordLoginFailure(ctx: Ctx, identifier: string, ip: string): Promise<void> {
  const k = keysFor(identifier, ip);
  const { LOGIN_MAX_FAILURES, LOGIN_IP_MAX_FAILURES, LOGIN_WINDOW_SECONDS, LOGIN_LOCK_SECONDS } = ctx.config;
  await ctx.db.query(
    `INSERT INTO login_failures AS f (key, failures, window_start)
       SELECT key, 1, now() FROM unnest($1::text[]) AS key
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN f.window_start < now() - make_interval(secs => $2) AND coalesce(f.locked_until, now()) <= now()
                       THEN 1 ELSE f.failures + 1 END,
       window_start = CASE WHEN f.window_start < now() - make_interval(secs => $2) AND coalesce(f.locked_until, now()) <= now()
                           THEN now() ELSE f.window_start END`,
    [[k.account, k.ip], LOGIN_WINDOW_SECONDS],
  );
  // Lock whichever key is at or past its limit: LOGIN_LOCK_SECONDS (30), then 60, 120... capped at the window.
  await ctx.db.query(
    `UPDATE login_failures SET locked_until = now() + make_interval(secs =>
        least($4::float8, $5::float8 * power(2, failures - CASE WHEN key = $1 THEN $2 ELSE $3 END)))
      WHERE (key = $1 AND failures >= $2) OR (key = $6 AND failures >= $3)`,
    [k.account, LOGIN_MAX_FAILURES, LOGIN_IP_MAX_FAILURES, LOGIN_WINDOW_SECONDS, LOGIN_LOCK_SECONDS, k.ip],
  );
}

/** A correct password clears the account name's count (never the address's). */
export async function clearLoginFailures(ctx: Ctx, identifier: string): Promise<void> {
  await ctx.db.query('DELETE FROM login_failures WHERE key = $1', [keysFor(identifier, '').account]);
}
