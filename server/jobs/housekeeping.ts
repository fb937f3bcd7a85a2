import type { Ctx } from '../context.js';
import { dropUnsentUploads } from '../uploads/service.js';

/**
 * Deletes what no longer matters: expired sign-in throttles, spent or expired email tokens,
 * finished jobs, and uploads never sent in a message. Any node may run it at any time; it is idempotent.
 */
export async function housekeeping(ctx: Ctx): Promise<void> {
  await ctx.db.query(
    `DELETE FROM login_failures
      WHERE window_start < now() - make_interval(secs => $1 * 2)
        AND (locked_until IS NULL OR locked_until < now())`,
    [ctx.config.LOGIN_WINDOW_SECONDS],
  );
  await ctx.db.query(`DELETE FROM email_tokens WHERE expires_at < now() - interval '7 days'`);
  await ctx.db.query(`DELETE FROM jobs WHERE done_at < now() - interval '7 days'`);
  await dropUnsentUploads(ctx);
}

/** Runs housekeeping every `everyMs` (first run after one period). */
export function startHousekeeping(ctx: Ctx, everyMs = 10 * 60_000) {
  const timer = setInterval(() => {
    housekeeping(ctx).catch((err) => ctx.log.warn({ err }, 'housekeeping failed'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
