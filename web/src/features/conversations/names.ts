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
