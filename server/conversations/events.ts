import type { Ctx } from '../context.js';
import type { GroupEvent } from '../../protocol/messages.js';
import { uuidv7 } from '../ids.js';
import { sendMessage } from '../messages/service.js';

/**
 * Puts a change to a group into its history: an `event` message whose sender is the member
 * who made it (decision 039). Stored and delivered as any message is (a seq, catch-up,
 * unread), after the change itself has committed; its client_id holds a colon, which no
 * client's may. An event that cannot be stored is logged: the change stands without its line.
 */
export async function postGroupEvent(ctx: Ctx, actorId: string, conversationId: string, event: GroupEvent) {
  try {
    await sendMessage(ctx, {
      senderId: actorId,
      conversationId,
      content: JSON.stringify(event),
      messageType: 'event',
      clientId: `event:${uuidv7()}`,
    });
  } catch (err) {
    ctx.log.warn({ err, conversationId, event: event.event }, 'group event not stored');
  }
}
