import type { Conversation } from '../../../protocol/conversations.js';
import { isSystemMessage, type Message } from '../../../protocol/messages.js';
import { api } from '../api/rest';
import { socket } from './chat';
import { receiveUpdate } from './changes';
import { heldMessage, replaceLocally } from './messages';
import { serverLimits } from './limits';

/** Own text messages, within the server's edit window (0: always). */
export function canEdit(m: Message, myId: string, now = Date.now()) {
  const window = serverLimits.message_edit_window_seconds;
  return (
    m.sender_id === myId &&
    m.message_type === 'text' &&
    !m.deleted_at &&
    (window === 0 || now - new Date(m.created_at).getTime() < window * 1000)
  );
}

/** Authors delete their own messages; group owners and admins anyone's. */
export function canDelete(m: Message, c: Conversation, myId: string) {
  if (m.deleted_at || isSystemMessage(m.message_type)) return false;
  if (m.sender_id === myId) return true;
  const role = c.members.find((x) => x.id === myId)?.role;
  return c.type === 'group' && (role === 'owner' || role === 'admin');
}

/**
 * A change to a message, over the socket when it is up (answered by `message_updated`, which the
 * frame handler applies) and over REST otherwise. Rejects with a message fit for a toast.
 */
async function change(frame: string, payload: Record<string, string>, rest: () => Promise<Message>) {
  if (socket.isOnline) {
    const reply = await socket.request(frame, payload);
    if (reply?.type === 'message_updated') return;
    if (reply?.type === 'error') throw new Error(reply.payload.message);
  }
  receiveUpdate(await rest());
}

export function editMessage(m: Message, content: string) {
  return change('message_edit', { message_id: m.id, content }, () =>
    api.patch<Message>(`/api/messages/${m.id}`, { content }),
  );
}

export function deleteMessage(m: Message) {
  return change('message_delete', { message_id: m.id }, () => api.del<Message>(`/api/messages/${m.id}`));
}

/** Adds my reaction, or takes it off when I already reacted with this emoji; shown at once. */
export async function toggleReaction(m: Message, emoji: string, myId: string) {
  const held = heldMessage(m.conversation_id, m.id) ?? m;
  const mine = held.reactions.some((r) => r.emoji === emoji && r.user_ids.includes(myId));
  replaceLocally(withReaction(held, emoji, myId, !mine));
  const path = `/api/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
  try {
    await change(mine ? 'reaction_remove' : 'reaction_add', { message_id: m.id, emoji }, () =>
      mine ? api.del<Message>(path) : api.put<Message>(path),
    );
  } catch (err) {
    // Undo the local guess unless something newer replaced it meanwhile.
    const now = heldMessage(m.conversation_id, m.id);
    if (now && now.change_seq === held.change_seq) replaceLocally(held);
    throw err;
  }
}

function withReaction(m: Message, emoji: string, userId: string, add: boolean): Message {
  const has = m.reactions.some((r) => r.emoji === emoji);
  const reactions = (has ? m.reactions : [...m.reactions, { emoji, count: 0, user_ids: [] }])
    .map((r) => {
      if (r.emoji !== emoji) return r;
      const user_ids = add
        ? [...r.user_ids.filter((u) => u !== userId), userId]
        : r.user_ids.filter((u) => u !== userId);
      return { ...r, user_ids, count: user_ids.length };
    })
    .filter((r) => r.count > 0);
  return { ...m, reactions };
}
