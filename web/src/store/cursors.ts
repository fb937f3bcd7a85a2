/**
 * Per conversation: the newest change number (edit, delete, reaction) whose effect this client
 * holds. A cursor lower than the truth only costs a redundant fetch; a higher one would skip
 * changes, so it is only ever raised by what was actually applied.
 */
const cursors = new Map<string, number>();

export const cursorOf = (conversationId: string) => cursors.get(conversationId);

/** Starts a cursor from a freshly fetched conversation (never from the cached list). */
export function seedCursor(conversationId: string, lastChangeSeq: number) {
  if (!cursors.has(conversationId)) cursors.set(conversationId, lastChangeSeq);
}

/** Moves a cursor forward (never back). */
export function raiseCursor(conversationId: string, changeSeq: number) {
  cursors.set(conversationId, Math.max(changeSeq, cursors.get(conversationId) ?? 0));
}

export function resetCursors() {
  cursors.clear();
}
