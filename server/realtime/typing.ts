import type { Ctx } from '../context.js';
import { publishTyping } from '../messages/typing.js';
import { requireMember } from '../conversations/access.js';

/**
 * Typing is volatile: "started" is told once, refreshes only extend it, and it ends when the
 * client says so, after TYPING_TTL_MS without a refresh, or when the socket closes.
 */
export class TypingTracker {
  private readonly active = new Map<string, { socketId: string; timer: NodeJS.Timeout }>();

  constructor(private readonly ctx: Ctx) {}

  async set(userId: string, socketId: string, conversationId: string, isTyping: boolean): Promise<void> {
    const key = `${userId}:${conversationId}`;
    const current = this.active.get(key);
    if (current) {
      // Still a member? One removed while typing is refused like any stranger, and its typing
      // ends for the others.
      try {
        await requireMember(this.ctx.db, conversationId, userId);
      } catch (err) {
        await this.stop(key, userId, conversationId, current);
        throw err;
      }
    }
    if (isTyping) {
      if (current) {
        current.timer.refresh();
        return;
      }
      await publishTyping(this.ctx, userId, conversationId, true);
      const timer = setTimeout(() => this.stop(key, userId, conversationId), this.ctx.config.TYPING_TTL_MS);
      timer.unref();
      this.active.set(key, { socketId, timer });
    } else if (current) {
      await this.stop(key, userId, conversationId);
    } else {
      // Not typing as far as anyone was told: nothing to publish, but a stranger still gets not_found.
      await requireMember(this.ctx.db, conversationId, userId);
    }
  }

  /** The socket closed: whatever it was typing stops. */
  socketClosed(userId: string, socketId: string): void {
    for (const [key, entry] of this.active) {
      if (entry.socketId === socketId) void this.stop(key, userId, key.slice(userId.length + 1));
    }
  }

  clear(): void {
    for (const { timer } of this.active.values()) clearTimeout(timer);
    this.active.clear();
  }

  /** Forgets the typing (`only` that one, if given) and tells the members it stopped. */
  private async stop(
    key: string,
    userId: string,
    conversationId: string,
    only?: { socketId: string; timer: NodeJS.Timeout },
  ): Promise<void> {
    const entry = this.active.get(key);
    if (!entry || (only && entry !== only)) return;
    clearTimeout(entry.timer);
    this.active.delete(key);
    await publishTyping(this.ctx, userId, conversationId, false).catch((err) =>
      this.ctx.log.debug({ err }, 'typing stop not published'),
    );
  }
}
