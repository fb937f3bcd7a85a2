/**
 * Publishes a conversation's new messages in seq order. Sends to one conversation commit in
 * seq order (the row lock serializes them), but the work after each commit can finish in
 * any order, so without this a member could receive seq 72 before 71. A send reserves its
 * place when its seq is allocated and releases it after commit (with its publish) or after
 * a rollback (without); a place is published only when every earlier one is settled.
 *
 * This orders what one node publishes. Messages stored through different nodes may still
 * interleave on the way; clients order by seq and fetch any gap.
 */
export interface Reservation {
  readonly conversationId: string;
}

export class PublishOrder {
  // One token per reservation: a rolled-back seq is allocated again to the next send.
  private readonly queues = new Map<string, Map<Reservation, (() => void) | null>>();

  reserve(conversationId: string): Reservation {
    let queue = this.queues.get(conversationId);
    if (!queue) this.queues.set(conversationId, (queue = new Map()));
    const token: Reservation = { conversationId };
    queue.set(token, null);
    return token;
  }

  /** `publish` runs once every earlier reservation of the conversation is released. */
  release(token: Reservation, publish?: () => void): void {
    const queue = this.queues.get(token.conversationId);
    if (!queue?.has(token)) return publish?.();
    queue.set(token, publish ?? (() => {}));
    // Maps iterate in insertion order, which is seq order (reservations happen in seq order).
    for (const [s, ready] of queue) {
      if (!ready) break;
      queue.delete(s);
      ready();
    }
    if (queue.size === 0) this.queues.delete(token.conversationId);
  }
}
