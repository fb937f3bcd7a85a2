import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  allOf,
  RESYNC_CHUNK,
  RESYNC_DATA,
  RESYNC_EVERY_MS,
  RESYNC_MIN_GAP_MS,
  type Bus,
  type BusListener,
  type DeliveryTarget,
} from './bus.js';

export const USER_CHANNEL = 'chatify:u:';
export const CONTROL_CHANNEL = 'chatify:control';

const MAX_PENDING_CONTROLS = 100_000;
/** Users whose events could not be published, remembered one by one up to this many (then: everyone). */
const MAX_UNSENT_USERS = 100_000;

export const redisOptions = {
  // Reconnect forever, at most every 2 s; ioredis resubscribes by itself.
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  lazyConnect: false,
  // A Redis that stops answering (a hung process, a network partition) keeps its connection
  // open: without a limit, a command would wait for TCP to give up, minutes later, and the
  // sign-in, send or socket waiting on it with it.
  commandTimeout: 1_000,
};

/** How often the bus asks Redis whether it still answers (see createRedisBus). */
const HEARTBEAT_MS = 2_000;

/**
 * Cross-node fan-out over Redis pub/sub with one channel per user (decision 006). A node
 * subscribes to the users it has sockets for. Every event is serialized once; the node that
 * publishes delivers to its own sockets directly (so a Redis outage never stops same-node
 * delivery) and ignores its own echo, recognised by the node id prefix.
 */
export function createRedisBus(url: string, nodeId: string, log: Logger): Bus {
  // Publishing fails fast while Redis is away (no offline queue of stale events): the live
  // path is best effort and clients catch up by sync.
  const pub = new Redis(url, { ...redisOptions, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const sub = new Redis(url, { ...redisOptions, maxRetriesPerRequest: null });
  for (const [name, conn] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    // A loss is told once, at warn (the reconnection attempts' errors only at debug).
    let up = false;
    conn.on('error', (err) => log.debug({ err: err.message }, `redis ${name} error`));
    conn.on('ready', () => {
      up = true;
      log.info(`redis ${name} ready`);
    });
    conn.on('close', () => {
      if (up) log.warn(`redis ${name} connection lost: cross-node delivery stops until it is back`);
      up = false;
    });
    conn.on('end', () => log.debug(`redis ${name} closed`));
  }
  const listeners: Partial<BusListener>[] = [];
  const local = allOf(listeners);
  // Counts the subscriber's connections, and its losses: anything learned before a loss may
  // have missed an event (decision 018). A new connection counts only once Redis has answered
  // its subscription to the control channel: ioredis calls it ready when it has sent its
  // resubscriptions, not when Redis has taken them, and a revocation published in between
  // would never arrive. Until then the bus is not healthy.
  let generation = 0;
  let controlLive = false;
  let everLive = false;
  sub.on('ready', () => {
    // A loss meanwhile moves the generation: that answer is then for a connection gone.
    const mine = generation;
    sub.subscribe(CONTROL_CHANNEL).then(
      () => {
        if (mine !== generation || sub.status !== 'ready') return;
        controlLive = true;
        generation++;
        // Back after a loss: what other nodes published meanwhile never came here, so every
        // socket here catches up (the user channels were resubscribed before this answer). At
        // the first answer too: a node that started while Redis was away took sockets without
        // it (at a start with Redis there are none yet, and this costs nothing).
        if (everLive) log.info('redis subscriber back: every socket here is asked to catch up');
        everLive = true;
        local.resyncAll();
      },
      (err) => log.debug({ err: err.message }, 'control channel subscribe failed'),
    );
  });
  sub.on('close', () => {
    controlLive = false;
    generation++;
  });
  const prefix = `${nodeId}|`;

  // A connection Redis no longer answers on looks ready to ioredis: both are asked every few
  // seconds, and when one does not answer in time both are dropped and made again (a loss, as
  // above: the bus is not healthy until Redis answers the control subscription again).
  // A missed answer is asked again at once, and only a second miss drops them: after the event
  // loop stalls for longer than the command timeout (a long collection, a CPU the process did not
  // get), the timeout's timer runs before the answer already waiting in the socket is read, and a
  // Redis that answered at once would look silent.
  const answers = () => Promise.all([pub.ping(), sub.ping()]);
  let asking = false;
  const heartbeat = setInterval(() => {
    if (asking || pub.status !== 'ready' || sub.status !== 'ready') return;
    asking = true;
    answers()
      .catch(answers)
      .finally(() => (asking = false))
      .then(
        () => flushUnsent(),
        (err: Error) => {
          log.warn({ err: err.message }, 'redis does not answer: reconnecting');
          pub.disconnect(true);
          sub.disconnect(true);
        },
      )
      .catch((err: Error) => log.warn({ err: err.message }, 'asking for catch-ups failed'));
  }, HEARTBEAT_MS);
  heartbeat.unref();

  // A message is `<node id>|<only socket>|<except socket>|<frame JSON>`; ids never contain '|'.
  sub.on('message', (channel: string, message: string) => {
    if (message.startsWith(prefix)) return;
    const a = message.indexOf('|');
    const b = message.indexOf('|', a + 1);
    const c = message.indexOf('|', b + 1);
    const target = {
      onlySocket: message.slice(a + 1, b) || undefined,
      exceptSocket: message.slice(b + 1, c) || undefined,
    };
    const data = message.slice(c + 1);
    if (channel.startsWith(USER_CHANNEL)) return local.deliver([channel.slice(USER_CHANNEL.length)], data, target);
    if (channel !== CONTROL_CHANNEL) return;
    try {
      const control = JSON.parse(data) as { kind: string; id: string };
      if (control.kind === 'session_revoked') local.sessionRevoked(control.id);
      if (control.kind === 'user_disabled') local.userDisabled(control.id);
      if (control.kind === 'resync_all') local.resyncAll();
    } catch (err) {
      log.warn({ err }, 'bad control message on the bus');
    }
  });
  function publish(channels: string[], data: string, target: DeliveryTarget = {}) {
    if (channels.length === 0) return;
    if (pub.status !== 'ready') return unsent(channels);
    const message = `${prefix}${target.onlySocket ?? ''}|${target.exceptSocket ?? ''}|${data}`;
    const pipeline = pub.pipeline();
    for (const ch of channels) pipeline.publish(ch, message);
    pipeline.exec().then(
      (results) => {
        if (!results?.every(([err]) => !err)) unsent(channels.filter((_, i) => !results || results[i]?.[0]));
      },
      (err: Error) => {
        log.debug({ err: err.message }, 'bus publish failed');
        unsent(channels);
      },
    );
  }

  // The live path does not wait for Redis, but it remembers whom it failed: once Redis answers
  // again, their sockets on other nodes are asked to catch up (decision 038). Past a bound,
  // every node's sockets are (by the control channel, which waits for Redis by itself).
  const unsentChannels = new Set<string>();
  let unsentOverflow = false;
  let resyncTimer: NodeJS.Timeout | null = null;
  function unsent(channels: string[]) {
    if (unsentOverflow || channels.length === 0) return;
    for (const ch of channels) unsentChannels.add(ch);
    if (unsentChannels.size > MAX_UNSENT_USERS) {
      unsentOverflow = true;
      unsentChannels.clear();
    }
  }
  // Passes start at least RESYNC_MIN_GAP_MS apart: a Redis that keeps failing does not make the
  // same clients catch up every few seconds. What is left waits for a heartbeat past the gap.
  let lastPassAt = -Infinity;
  function flushUnsent() {
    if (resyncTimer || pub.status !== 'ready') return;
    if (!unsentOverflow && unsentChannels.size === 0) return;
    if (Date.now() - lastPassAt < RESYNC_MIN_GAP_MS) return;
    lastPassAt = Date.now();
    if (unsentOverflow) {
      unsentOverflow = false;
      log.info('redis publisher back: every socket on every node is asked to catch up');
      return control('resync_all', nodeId);
    }
    log.info({ users: unsentChannels.size }, 'redis publisher back: users it missed are asked to catch up');
    flushChunk();
  }
  function flushChunk() {
    const chunk: string[] = [];
    for (const ch of unsentChannels) {
      unsentChannels.delete(ch);
      if (chunk.push(ch) === RESYNC_CHUNK) break;
    }
    publish(chunk, RESYNC_DATA);
    if (unsentChannels.size > 0) {
      resyncTimer = setTimeout(() => {
        resyncTimer = null;
        if (pub.status === 'ready') flushChunk();
      }, RESYNC_EVERY_MS);
      resyncTimer.unref();
    }
  }
  pub.on('ready', flushUnsent);

  // Revocations must reach every node (their sockets and session caches): unlike the live
  // path, they wait here while this node cannot reach Redis and go when it can. Bounded, the
  // oldest dropped first (the session caches' TTL bounds what a dropped one costs).
  let controls: string[] = [];
  let flushing = false;
  function flushControls() {
    if (flushing || controls.length === 0 || pub.status !== 'ready') return;
    flushing = true;
    const sending = controls.slice(0, 1_000);
    const pipeline = pub.pipeline();
    for (const m of sending) pipeline.publish(CONTROL_CHANNEL, m);
    pipeline
      .exec()
      .then((results) => {
        if (!results?.every(([err]) => !err)) return;
        // By identity: the oldest may have been dropped meanwhile (a repeat is harmless to lose).
        const sent = new Set(sending);
        controls = controls.filter((m) => !sent.has(m));
      })
      .catch((err) => log.debug({ err: err.message }, 'control publish failed'))
      .finally(() => {
        flushing = false;
        if (controls.length > 0) setTimeout(flushControls, pub.status === 'ready' ? 0 : 500).unref();
      });
  }
  pub.on('ready', flushControls);

  function control(kind: string, id: string) {
    if (controls.length >= MAX_PENDING_CONTROLS) {
      log.error({ dropped: controls.shift() }, 'too many revocations waiting for Redis; dropped the oldest');
    }
    controls.push(`${prefix}||${JSON.stringify({ kind, id })}`);
    flushControls();
  }

  return {
    publishToUsers(userIds, frame, target) {
      if (userIds.length === 0) return;
      const data = JSON.stringify(frame);
      local.deliver(userIds, data, target);
      publish(
        userIds.map((id) => USER_CHANNEL + id),
        data,
        target,
      );
    },
    publishSessionRevoked(sessionId) {
      local.sessionRevoked(sessionId);
      control('session_revoked', sessionId);
    },
    publishUserDisabled(userId) {
      local.userDisabled(userId);
      control('user_disabled', userId);
    },
    async watchUser(userId) {
      // Waits (briefly) for the subscription so the socket misses nothing published after `ready`.
      await Promise.race([sub.subscribe(USER_CHANNEL + userId), new Promise((r) => setTimeout(r, 1_000))]).catch(
        (err) => log.debug({ err: err.message }, 'subscribe failed'),
      );
    },
    unwatchUser(userId) {
      sub.unsubscribe(USER_CHANNEL + userId).catch((err) => log.debug({ err: err.message }, 'unsubscribe failed'));
    },
    listen(l) {
      listeners.push(l);
    },
    isHealthy: () => pub.status === 'ready' && sub.status === 'ready' && controlLive,
    generation: () => generation,
    async close() {
      clearInterval(heartbeat);
      if (resyncTimer) clearTimeout(resyncTimer);
      pub.disconnect();
      sub.disconnect();
    },
  };
}
