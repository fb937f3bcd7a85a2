import { api } from '../api/rest';
import { ChatSocket, type ConnectionState } from '../api/socket';
import { createStore } from './store';
import { applyMessage, applyReceipt, loadConversations, paintFromCache, refreshConversation } from './conversations';
import { addMessages, createOutboxSender, messages, resyncThreads } from './messages';
import { applyPresence, applyTyping, clearTyping, presence } from './presence';

export const connection = createStore<ConnectionState>({ status: 'connecting' });
export const socket = new ChatSocket(() => api.accessToken());
socket.onState((s) => {
  connection.set(() => s);
  // While we are disconnected we cannot know who is online; the snapshot after `ready` re-seeds it.
  if (s.status !== 'online') presence.set((p) => (Object.keys(p.online).length ? { ...p, online: {}, typing: {} } : p));
});

const flushOutbox = createOutboxSender(socket, () => api.user?.id);
const deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();

/** Tells the sender's ticks that this device has the message (batched per conversation). */
function ackDelivered(conversationId: string) {
  if (deliveredTimers.has(conversationId)) return;
  deliveredTimers.set(
    conversationId,
    setTimeout(() => {
      deliveredTimers.delete(conversationId);
      const last = messages.get().threads[conversationId]?.items.at(-1)?.seq;
      if (last) socket.send('delivered', { conversation_id: conversationId, seq: last });
    }, 250),
  );
}

socket.onFrame((frame) => {
  const me = api.user?.id ?? '';
  switch (frame.type) {
    case 'ready':
      // Whatever happened while we were away: fresh list, missing messages, queued sends.
      void loadConversations().catch(() => {});
      void resyncThreads(socket).then(() => flushOutbox());
      break;
    case 'new_message':
      addMessages(frame.payload.conversation_id, [frame.payload]);
      applyMessage(frame.payload, me);
      clearTyping(frame.payload.conversation_id, frame.payload.sender_id);
      if (frame.payload.sender_id !== me) ackDelivered(frame.payload.conversation_id);
      break;
    case 'receipt_update':
      applyReceipt(frame.payload);
      break;
    case 'presence_update':
      applyPresence(frame.payload);
      break;
    case 'typing':
      applyTyping(frame.payload);
      break;
    case 'conversation_created':
    case 'conversation_updated':
      void refreshConversation(frame.payload.conversation_id);
      break;
  }
});

/** Starts the realtime session for the signed-in user. */
export function startChat() {
  if (api.user) paintFromCache(api.user.id);
  void loadConversations().catch(() => {});
  socket.start();
}

export function stopChat() {
  socket.stop();
}

export function sendRead(conversationId: string, seq: number) {
  socket.send('read_receipt', { conversation_id: conversationId, seq });
}

let typingSentAt = 0;
let typingConversation = '';
/** Typing indicator: "started" at most every 3 s while typing, "stopped" when the text clears or is sent. */
export function sendTyping(conversationId: string, isTyping: boolean) {
  const now = Date.now();
  if (isTyping) {
    if (typingConversation === conversationId && now - typingSentAt < 3000) return;
    typingSentAt = now;
    typingConversation = conversationId;
    socket.send('typing', { conversation_id: conversationId, is_typing: true });
  } else if (typingConversation === conversationId) {
    typingConversation = '';
    typingSentAt = 0;
    socket.send('typing', { conversation_id: conversationId, is_typing: false });
  }
}
