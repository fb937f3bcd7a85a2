export interface Members {
  /** The conversation's members_version these members are as of (decision 029). */
  version: number;
  ids: readonly string[];
}

/**
 * The members of conversations this node stored messages in lately, each as of a
 * members_version: the send statement reads a conversation's members only when the version
 * held here is not the current one (decision 029), so a busy conversation's members are read
 * once per change of members rather than once per batch. Bounded by the member ids held; the
 * conversation sent to longest ago goes first.
 */
export class MemberCache {
  private readonly entries = new Map<string, Members>();
  private held = 0;

  constructor(private readonly maxIds = 200_000) {}

  /** The members held for this conversation, whatever their version; now the most recently used. */
  get(conversationId: string): Members | undefined {
    const entry = this.entries.get(conversationId);
    if (entry) {
      this.entries.delete(conversationId);
      this.entries.set(conversationId, entry);
    }
    return entry;
  }

  set(conversationId: string, members: Members): void {
    const old = this.entries.get(conversationId);
    if (old) {
      if (old.version > members.version) return; // an older read arriving late
      this.held -= old.ids.length;
      this.entries.delete(conversationId);
    }
    this.entries.set(conversationId, members);
    this.held += members.ids.length;
    for (const [id, entry] of this.entries) {
      if (this.held <= this.maxIds) break;
      this.entries.delete(id);
      this.held -= entry.ids.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
