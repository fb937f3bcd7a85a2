import type { Ctx } from '../context.js';
import type { Queryable } from '../db/client.js';

export type JobHandler = (payload: Record<string, unknown>) => Promise<void>;

interface JobRow {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Adds a job; inside a transaction it is queued only if the transaction commits. */
export async function enqueue(q: Queryable, kind: string, payload: Record<string, unknown>): Promise<void> {
  await q.query('INSERT INTO jobs (kind, payload) VALUES ($1, $2::jsonb)', [kind, JSON.stringify(payload)]);
}

/** Backoff after a failed attempt: 2 s, 4 s, 8 s … capped at 10 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(600, 2 ** attempts);

/**
 * A durable queue worker over the `jobs` table (decision 010). Every node runs one; a job is
 * claimed with FOR UPDATE SKIP LOCKED and a lease, so a node that dies mid-job leaves it to be
 * claimed again when the lease ends. Failures retry with backoff up to `max_attempts`.
 */
export function startWorker(
  ctx: Ctx,
  handlers: Record<string, JobHandler>,
  opts: { pollMs: number; leaseSeconds?: number },
) {
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  async function claim(): Promise<JobRow[]> {
    const { rows } = await ctx.db.query<JobRow>(
      `UPDATE jobs SET attempts = attempts + 1, locked_until = now() + make_interval(secs => $1)
        WHERE id IN (
          SELECT id FROM jobs
           WHERE done_at IS NULL AND run_at <= now() AND attempts < max_attempts
             AND (locked_until IS NULL OR locked_until < now())
           ORDER BY run_at LIMIT 10
           FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, payload, attempts`,
      [opts.leaseSeconds ?? 60],
    );
    return rows;
  }

  async function runOnce() {
    for (;;) {
      const jobs = await claim();
      if (jobs.length === 0) return;
      await Promise.all(
        jobs.map(async (job) => {
          const handler = handlers[job.kind];
          try {
            if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
            await handler(job.payload);
            await ctx.db.query(
              'UPDATE jobs SET done_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1',
              [job.id],
            );
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            ctx.log.warn(
              { jobId: job.id, kind: job.kind, attempts: job.attempts, err: message },
              'job failed; will retry',
            );
            await ctx.db.query(
              `UPDATE jobs SET locked_until = NULL, last_error = $2,
                      run_at = now() + make_interval(secs => $3) WHERE id = $1`,
              [job.id, message.slice(0, 1000), retryDelaySeconds(job.attempts)],
            );
          }
        }),
      );
    }
  }

  /** Runs the queue now (after an enqueue on this node), or right after the current run. */
  function poke() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce()
      .catch((err) => ctx.log.warn({ err }, 'job queue poll failed'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          poke();
        }
      });
  }

  const timer = setInterval(poke, opts.pollMs);
  timer.unref();
  poke();
  return {
    poke,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
