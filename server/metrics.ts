import client from 'prom-client';
import type { Db, Queryable } from './db/client.js';
import type { Bus } from './bus/bus.js';

/**
 * Prometheus metrics (prom-client), one registry per app. Names are the contract with
 * deploy/grafana/dashboards/chatify.json (test/deploy.test.ts checks the dashboard against them).
 */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Filled in by the parts that own the numbers (the gateway, the database pool).
  const sources = {
    sockets: () => 0,
    users: () => 0,
    pool: (): { total: number; idle: number; waiting: number } | null => null,
    busHealthy: () => true,
  };
  const latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    sources,
    wsConnections: new client.Gauge({
      name: 'chatify_ws_connections',
      help: 'Open authenticated WebSocket connections on this node',
      registers,
      collect() {
        this.set(sources.sockets());
      },
    }),
    connectedUsers: new client.Gauge({
      name: 'chatify_connected_users',
      help: 'Users with at least one socket on this node',
      registers,
      collect() {
        this.set(sources.users());
      },
    }),
    framesIn: new client.Counter({
      name: 'chatify_ws_frames_received_total',
      help: 'WebSocket frames received, by type (invalid: not a frame of a known type)',
      labelNames: ['type'] as const,
      registers,
    }),
    framesOut: new client.Counter({
      name: 'chatify_ws_frames_sent_total',
      help: 'WebSocket frames sent, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    messagesStored: new client.Counter({
      name: 'chatify_messages_stored_total',
      help: 'Messages committed to the database',
      registers,
    }),
    sendAck: new client.Histogram({
      name: 'chatify_send_ack_seconds',
      help: 'From a chat_message frame arriving to its message_ack (after commit)',
      buckets: latency,
      registers,
    }),
    fanout: new client.Counter({
      name: 'chatify_fanout_deliveries_total',
      help: 'Event frames handed to local sockets',
      registers,
    }),
    busPublished: new client.Counter({
      name: 'chatify_bus_published_total',
      help: 'Events published on the bus by this node',
      registers,
    }),
    busHealthy: new client.Gauge({
      name: 'chatify_bus_healthy',
      help: '1 while the bus (Redis) carries events between nodes; 0 while this node is cut off (same-node delivery only)',
      registers,
      collect() {
        this.set(sources.busHealthy() ? 1 : 0);
      },
    }),
    busReceived: new client.Counter({
      name: 'chatify_bus_received_total',
      help: 'Events received from the bus for local sockets',
      registers,
    }),
    dbQuery: new client.Histogram({
      name: 'chatify_db_query_seconds',
      help: 'Database statement latency',
      buckets: latency,
      registers,
    }),
    dbPool: new client.Gauge({
      name: 'chatify_db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const p = sources.pool();
        if (!p) return;
        this.set({ state: 'total' }, p.total);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'waiting' }, p.waiting);
      },
    }),
    httpRequests: new client.Counter({
      name: 'chatify_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpSeconds: new client.Histogram({
      name: 'chatify_http_request_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: latency,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The `type` of a serialized frame (every frame starts with it), for counting without parsing. */
export const frameTypeOf = (data: string) => /^\{"(?:id":[^,]*,")?type":"([a-z_]{1,40})"/.exec(data)?.[1] ?? 'other';

/** The same database, timing every statement. */
export function instrumentDb(db: Db, metrics: Metrics): Db {
  const timed = (q: Queryable): Queryable => ({
    // The options go through: a named statement is prepared once and planned generically.
    async query(text, params, opts) {
      const end = metrics.dbQuery.startTimer();
      try {
        return await q.query(text, params, opts);
      } finally {
        end();
      }
    },
    async exec(sql) {
      const end = metrics.dbQuery.startTimer();
      try {
        return await q.exec(sql);
      } finally {
        end();
      }
    },
  });
  if (db.poolStats) metrics.sources.pool = () => db.poolStats!();
  return {
    kind: db.kind,
    stats: db.stats,
    ping: () => db.ping(),
    close: () => db.close(),
    poolStats: db.poolStats ? () => db.poolStats!() : undefined,
    ...timed(db),
    transaction: (fn, opts) => db.transaction((tx) => fn(timed(tx)), opts),
  };
}

/** The same bus, counting what this node publishes and what it receives for its sockets. */
export function instrumentBus(bus: Bus, metrics: Metrics): Bus {
  metrics.sources.busHealthy = () => bus.isHealthy();
  return {
    watchUser: (userId) => bus.watchUser(userId),
    unwatchUser: (userId) => bus.unwatchUser(userId),
    isHealthy: () => bus.isHealthy(),
    generation: () => bus.generation(),
    close: () => bus.close(),
    publishToUsers(userIds, frame, target) {
      metrics.busPublished.inc();
      bus.publishToUsers(userIds, frame, target);
    },
    publishSessionRevoked(sessionId) {
      metrics.busPublished.inc();
      bus.publishSessionRevoked(sessionId);
    },
    publishUserDisabled(userId) {
      metrics.busPublished.inc();
      bus.publishUserDisabled(userId);
    },
    listen(listener) {
      const deliver = listener.deliver;
      bus.listen(
        deliver
          ? {
              ...listener,
              deliver(userIds, data, target) {
                metrics.busReceived.inc();
                deliver(userIds, data, target);
              },
            }
          : listener,
      );
    },
  };
}
