import type { Ctx } from '../context.js';
import { memberIds } from '../conversations/access.js';
import { conversationNotFound } from '../conversations/access.js';
import { isUuid } from '../ids.js';

/**
 * Tells the other members that `userId` started or stopped typing. Volatile: nothing is stored.
 * Only a member may start; a stop is told even when `userId` is no longer one (removed while
 * typing: the members were told of the start, and would see it go on).
 */
export async function publishTyping(ctx: Ctx, userId: string, conversationId: string, isTyping: boolean) {
  if (!isUuid(conversationId)) throw conversationNotFound();
  const members = await memberIds(ctx.db, conversationId);
  if (isTyping && !members.includes(userId)) throw conversationNotFound();
  ctx.bus.publishToUsers(
    members.filter((id) => id !== userId),
    { type: 'typing', payload: { conversation_id: conversationId, user_id: userId, is_typing: isTyping } },
  );
}
