import type { Bus } from '../bus/bus.js';

interface Entry {
  userId: string;
  /** Epoch ms after which the session must be checked in the database again. */
  until: number;
  /** The bus generation it was learned under (decision 018). */
  generation: number;
}

/**
 * The sessions this node recently found live, so an authenticated request need not ask
 * PostgreSQL again (decision 018). Logout, revocation and disabling still take effect at once:
 * they are published on the bus, and every node forgets the session when it hears of it. What
 * the bus cannot promise is bounded: nothing is trusted while the bus is down or when it was
 * learned before the bus last reconnected (events may have been lost), nor for longer than
 * `ttlMs`, nor past the session's own expiry.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every forget: a check that began before one must not store its answer. */
  private forgets = 0;

  constructor(
    private readonly bus: Pick<Bus, 'isHealthy' | 'generation'>,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** Whether `sessionId` of `userId` is known live, without asking the database. */
  isLive(sessionId: string, userId: string, now = Date.now()): boolean {
    const e = this.entries.get(sessionId);
    if (!e) return false;
    if (e.userId === userId && e.until > now && e.generation === this.bus.generation() && this.bus.isHealthy()) {
      return true;
    }
    this.entries.delete(sessionId);
    return false;
  }

  /**
   * Starts a database check; call the returned function with the session's expiry once the
   * check found it live. The answer is kept only if nothing was forgotten meanwhile: a
   * revocation that committed while the check ran may not be in what it read.
   */
  begin(sessionId: string, userId: string): (expiresAt: Date) => void {
    const forgets = this.forgets;
    const generation = this.bus.generation();
    return (expiresAt) => {
      const stale = forgets !== this.forgets || generation !== this.bus.generation() || !this.bus.isHealthy();
      if (this.ttlMs <= 0 || stale) return;
      if (this.entries.size >= this.maxEntries) {
        // The oldest first: Map keeps insertion order.
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      const now = Date.now();
      this.entries.set(sessionId, { userId, until: Math.min(now + this.ttlMs, expiresAt.getTime()), generation });
    };
  }

  forgetSession(sessionId: string): void {
    this.forgets++;
    this.entries.delete(sessionId);
  }

  forgetUser(userId: string): void {
    this.forgets++;
    for (const [id, e] of this.entries) if (e.userId === userId) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
