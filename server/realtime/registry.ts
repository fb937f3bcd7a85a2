import type { Bus } from '../bus/bus.js';
import type { Connection } from './connection.js';

/** This node's sockets by user and by session; tells the bus which users to listen for. */
export class Registry {
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly bySession = new Map<string, Set<Connection>>();

  constructor(private readonly bus: Bus) {}

  /** Registers a socket; resolves once the bus delivers this user's events to this node. */
  add(conn: Connection): Promise<void> {
    let set = this.byUser.get(conn.userId);
    let watching = Promise.resolve();
    if (!set) {
      this.byUser.set(conn.userId, (set = new Set()));
      watching = this.bus.watchUser(conn.userId);
    }
    set.add(conn);
    addTo(this.bySession, conn.sessionId, conn);
    return watching;
  }

  remove(conn: Connection): void {
    const set = this.byUser.get(conn.userId);
    if (set?.delete(conn) && set.size === 0) {
      this.byUser.delete(conn.userId);
      this.bus.unwatchUser(conn.userId);
    }
    const sessions = this.bySession.get(conn.sessionId);
    if (sessions?.delete(conn) && sessions.size === 0) this.bySession.delete(conn.sessionId);
  }

  ofUser(userId: string): Iterable<Connection> {
    return this.byUser.get(userId) ?? [];
  }

  hasUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  ofSession(sessionId: string): Connection[] {
    return [...(this.bySession.get(sessionId) ?? [])];
  }

  *all(): Iterable<Connection> {
    for (const set of this.byUser.values()) yield* set;
  }

  /** Distinct users with a socket here. */
  get users(): number {
    return this.byUser.size;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
