/** A server -> client frame as it goes on the wire. */
export interface OutFrame {
  type: string;
  payload: unknown;
  id?: string;
}

/**
 * Asks a client to catch up as after a reconnect (conversation list, `sync`): events meant
 * for it may have been lost between nodes. Serialized once.
 */
export const RESYNC_DATA = JSON.stringify({ type: 'resync', payload: {} } satisfies OutFrame);
/** How many users or sockets are asked to catch up at a time, and how often: a herd spread over seconds. */
export const RESYNC_CHUNK = 1_000;
export const RESYNC_EVERY_MS = 100;
/**
 * The least time between two passes of a node (all its sockets, or the users it could not
 * publish to): a Redis that keeps failing makes each client catch up at most this often.
 */
export const RESYNC_MIN_GAP_MS = 10_000;

/** Narrows a delivery to one device (`onlySocket`) or all but one (`exceptSocket`). */
export interface DeliveryTarget {
  onlySocket?: string;
  exceptSocket?: string;
}

/**
 * What a node does with events that reach it: the realtime gateway delivers frames and closes
 * sockets; the session cache forgets revoked sessions. Each part listens to what it needs.
 */
export interface BusListener {
  /** `data` is the frame serialized once; deliver it to the local sockets of `userIds`. */
  deliver(userIds: readonly string[], data: string, target?: DeliveryTarget): void;
  sessionRevoked(sessionId: string): void;
  userDisabled(userId: string): void;
  /**
   * Events for this node's users may have been lost on the way (its link to the other nodes
   * was down): every local socket should catch up, as after a reconnect.
   */
  resyncAll(): void;
}

/**
 * Delivers events to users wherever their sockets are. Publishing never throws and never
 * waits: the live path is best effort, PostgreSQL is the truth and clients catch up by sync.
 */
export interface Bus {
  publishToUsers(userIds: readonly string[], frame: OutFrame, target?: DeliveryTarget): void;
  publishSessionRevoked(sessionId: string): void;
  publishUserDisabled(userId: string): void;
  /** The node's local sockets now include / no longer include this user. Resolves once subscribed. */
  watchUser(userId: string): Promise<void>;
  unwatchUser(userId: string): void;
  /** Adds a listener (every one hears every event). */
  listen(listener: Partial<BusListener>): void;
  isHealthy(): boolean;
  /**
   * Counts the times this node (re)subscribed to other nodes' events. Events published while
   * it was away never arrive, so whatever a node learned under an older generation (a session
   * it saw live) may have been revoked since.
   */
  generation(): number;
  close(): Promise<void>;
}

/** One listener that hands every event to each of `listeners` (which may grow later). */
export function allOf(listeners: readonly Partial<BusListener>[]): BusListener {
  return {
    deliver(userIds, data, target) {
      for (const l of listeners) l.deliver?.(userIds, data, target);
    },
    sessionRevoked(sessionId) {
      for (const l of listeners) l.sessionRevoked?.(sessionId);
    },
    userDisabled(userId) {
      for (const l of listeners) l.userDisabled?.(userId);
    },
    resyncAll() {
      for (const l of listeners) l.resyncAll?.();
    },
  };
}

/** Single node: events go straight to this process's gateway. */
export function createMemoryBus(): Bus {
  const listeners: Partial<BusListener>[] = [];
  const local = allOf(listeners);
  return {
    publishToUsers(userIds, frame, target) {
      if (userIds.length > 0) local.deliver(userIds, JSON.stringify(frame), target);
    },
    publishSessionRevoked: (sessionId) => local.sessionRevoked(sessionId),
    publishUserDisabled: (userId) => local.userDisabled(userId),
    watchUser: async () => {},
    unwatchUser() {},
    listen(l) {
      listeners.push(l);
    },
    isHealthy: () => true,
    generation: () => 0,
    close: async () => {},
  };
}
