import type { Conversation, Member } from '../../../../protocol/conversations.js';
import { personName } from '../../store/people';

/** The other person in a one-to-one chat. */
export const peerOf = (c: Conversation, myId: string): Member | undefined =>
  c.type === 'one_to_one' ? (c.members.find((m) => m.id !== myId) ?? c.members[0]) : undefined;

export const titleOf = (c: Conversation, myId: string) =>
  c.type === 'group' ? (c.title ?? 'Group') : (peerOf(c, myId)?.display_name ?? 'Chat');

/** A member's name; one who has left is fetched (see `people`), "Someone" meanwhile. */
export const nameOf = (c: Conversation, userId: string) =>
  c.members.find((m) => m.id === userId)?.display_name ?? personName(userId) ?? 'Someone';

/**
 * Who is typing, for a chat's header and its row in the list: "typing…" in a one-to-one chat,
 * "Ana is typing…", "Ana and Bo are typing…", "Ana and 2 others are typing…" in a group.
 */
export function typingText(c: Conversation, userIds: readonly string[]): string {
  if (userIds.length === 0) return '';
  if (c.type !== 'group') return 'typing…';
  const [first, second] = userIds.map((id) => nameOf(c, id));
  if (userIds.length === 1) return `${first} is typing…`;
  if (userIds.length === 2) return `${first} and ${second} are typing…`;
  return `${first} and ${userIds.length - 1} others are typing…`;
}
