import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Bus } from './bus/bus.js';
import type { Presence } from './presence/presence.js';
import type { PublishOrder } from './messages/publish-order.js';
import type { Metrics } from './metrics.js';
import type { Storage } from './uploads/storage.js';
import type { SessionCache } from './auth/session-cache.js';

/** What every service function gets: plain dependencies, no HTTP or WebSocket. */
export interface Ctx {
  db: Db;
  config: Config;
  log: Logger;
  bus: Bus;
  presence: Presence;
  /** Keeps this node's new_message events in seq order per conversation. */
  publishOrder: PublishOrder;
  /** Sessions this node recently found live (decision 018). */
  sessions: SessionCache;
  now: () => Date;
  metrics: Metrics;
  /** Upload bytes (local disk or S3). */
  storage: Storage;
  /** Runs the job queue now (after queuing a job), instead of at the next poll. */
  jobs: { poke(): void };
}
