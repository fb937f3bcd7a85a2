/**
 * Who is online. A user is online while any node holds a socket of theirs; `connect` and
 * `disconnect` say whether this call changed that (first socket opened / last one closed).
 */
export interface Presence {
  connect(userId: string, socketId: string): Promise<{ cameOnline: boolean }>;
  disconnect(userId: string, socketId: string): Promise<{ wentOffline: boolean }>;
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  /** How many users are online now (admin statistics). */
  countOnline(): Promise<number>;
  close(): Promise<void>;
}

/** Single node: counts sockets per user in memory. */
export function createMemoryPresence(): Presence {
  const sockets = new Map<string, Set<string>>();
  return {
    async connect(userId, socketId) {
      let set = sockets.get(userId);
      const cameOnline = !set || set.size === 0;
      if (!set) sockets.set(userId, (set = new Set()));
      set.add(socketId);
      return { cameOnline };
    },
    async disconnect(userId, socketId) {
      const set = sockets.get(userId);
      if (!set?.delete(socketId)) return { wentOffline: false };
      if (set.size > 0) return { wentOffline: false };
      sockets.delete(userId);
      return { wentOffline: true };
    },
    async onlineAmong(userIds) {
      return new Set(userIds.filter((id) => (sockets.get(id)?.size ?? 0) > 0));
    },
    countOnline: async () => sockets.size,
    close: async () => {},
  };
}
