/** A server -> client frame as it goes on the wire. */
export interface OutFrame {
  type: string;
  payload: unknown;
  id?: string;
}

/** Narrows a delivery to one device (`onlySocket`) or all but one (`exceptSocket`). */
export interface DeliveryTarget {
  onlySocket?: string;
  exceptSocket?: string;
}

/** What a node does with events that reach it (the realtime gateway implements this). */
export interface BusListener {
  /** `data` is the frame serialized once; deliver it to the local sockets of `userIds`. */
  deliver(userIds: readonly string[], data: string, target?: DeliveryTarget): void;
  sessionRevoked(sessionId: string): void;
  userDisabled(userId: string): void;
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
  listen(listener: BusListener): void;
  isHealthy(): boolean;
  close(): Promise<void>;
}

/** Single node: events go straight to this process's gateway. */
export function createMemoryBus(): Bus {
  let listener: BusListener | undefined;
  return {
    publishToUsers(userIds, frame, target) {
      if (userIds.length > 0) listener?.deliver(userIds, JSON.stringify(frame), target);
    },
    publishSessionRevoked: (sessionId) => listener?.sessionRevoked(sessionId),
    publishUserDisabled: (userId) => listener?.userDisabled(userId),
    watchUser: async () => {},
    unwatchUser() {},
    listen(l) {
      listener = l;
    },
    isHealthy: () => true,
    close: async () => {},
  };
}
