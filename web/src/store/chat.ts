import { api } from '../api/rest';
import { ChatSocket, type ConnectionState } from '../api/socket';
import { createStore } from './store';
import { attachCalls } from './calls';
import {
  applyMessage,
  applyReceipt,
  loadConversations,
  paintFromCache,
  refreshConversation,
  resetConversations,
} from './conversations';
import type { Message } from '../../../protocol/messages.js';
import { CLOSE_CODES } from '../../../protocol/frames.js';
import { addMessages, fetchAfter, lastSeqOf, messages, resetMessages } from './messages';
import { createOutboxSender } from './outbox';
import { drip } from './drip';
import { oneAtATime } from './one-at-a-time';
import { receiveUpdate, resyncThreads } from './changes';
import { raiseCursor } from './cursors';
import { setServerLimits } from './limits';
import { resetCompose } from './compose';
import { resetMedia } from './media';
import { applyPresence, applyTyping, clearTyping, presence } from './presence';

export const connection = createStore<ConnectionState>({ status: 'connecting' });
export const socket = new ChatSocket(
  () => api.accessToken(),
  () => api.refresh(),
);
attachCalls(socket);
// 4403: an administrator disabled the account (its sessions are gone too): sign out at once.
socket.onClose((code) => {
  if (code === CLOSE_CODES.forbidden) api.signOutLocally({ tone: 'error', text: 'Your account was disabled.' });
});
socket.onState((s) => {
  connection.set(() => s);
  // While we are disconnected we cannot know who is online; the snapshot after `ready` re-seeds it.
  if (s.status !== 'online') presence.set((p) => (Object.keys(p.online).length ? { ...p, online: {}, typing: {} } : p));
});

const flushOutbox = createOutboxSender(socket, () => api.user?.id);
const deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();

const deliveredUpTo = new Map<string, number>();
/** Tells the sender's ticks that this device has the message (batched per conversation). */
function ackDelivered(conversationId: string, seq: number) {
  deliveredUpTo.set(conversationId, Math.max(seq, deliveredUpTo.get(conversationId) ?? 0));
  if (deliveredTimers.has(conversationId)) return;
  deliveredTimers.set(
    conversationId,
    setTimeout(() => {
      deliveredTimers.delete(conversationId);
      const upTo = deliveredUpTo.get(conversationId);
      if (upTo) socket.send('delivered', { conversation_id: conversationId, seq: upTo });
    }, 250),
  );
}

/**
 * `delivered` for many conversations at once (after a reconnect): 20 every half second, well
 * inside the server's frame limit (50 a second, bursts of 150), so none is refused and the
 * `sync` requests of the same moment still have room.
 */
const ackDeliveredMany = (items: (readonly [string, number])[]) =>
  drip(items, 20, 500, ([conversationId, seq]) => ackDelivered(conversationId, seq));

/** A live message that skips seqs means an event was lost on the way: fetch the gap. */
function addLive(m: Message) {
  const last = lastSeqOf(m.conversation_id);
  addMessages(m.conversation_id, [m]);
  if (last > 0 && m.seq > last + 1) void fetchAfter(m.conversation_id, last).catch(() => {});
}

/**
 * Whatever happened while this device was away, or while events could not reach it: a fresh
 * list, missing messages and changes, then the queued sends. One at a time (see `ready` and
 * `resync` below).
 */
const catchUp = oneAtATime(() => Promise.allSettled(catchUpParts(api.user?.id ?? '')));

function catchUpParts(me: string): Promise<unknown>[] {
  // The account may have changed while this device was away (`self_updated` reaches only
  // the devices connected at the time): a new name, an email confirmed elsewhere.
  const self = api.refreshSelf().catch(() => {});
  const list = loadConversations()
    .then((list) => {
      // Nothing of an unopened conversation is held but its list entry, just fetched fresh.
      const threads = messages.get().threads;
      for (const c of list) if (!threads[c.id]) raiseCursor(c.id, c.last_change_seq);
      // Messages that came while this device was away are on it now: their senders' ticks go to two.
      ackDeliveredMany(
        list.flatMap((c) => {
          const mine = c.members.find((m) => m.id === me);
          return mine && mine.delivered_seq < c.last_seq ? [[c.id, c.last_seq] as const] : [];
        }),
      );
    })
    .catch(() => {});
  // The queued sends go after (not as part of the catch-up: a long outbox holds up no other).
  const threads = resyncThreads(socket)
    .catch(() => {})
    .then(() => void flushOutbox());
  return [self, list, threads];
}

socket.onFrame((frame) => {
  const me = api.user?.id ?? '';
  switch (frame.type) {
    case 'ready':
      setServerLimits(frame.payload.limits);
      catchUp.restart(); // a new socket: this catch-up covers everything before it
      break;
    case 'resync':
      // The socket stayed open, but events meant for it may have been lost between server nodes.
      // Before `ready` the catch-up at `ready` covers it; during one, one more follows it (what
      // the running one read may be older than the loss). After a whole Redis restart two
      // nodes may ask: at most two catch-ups, not one per asking.
      if (!socket.isOnline) break;
      catchUp.ask();
      break;
    case 'new_message':
      addLive(frame.payload);
      applyMessage(frame.payload);
      clearTyping(frame.payload.conversation_id, frame.payload.sender_id);
      if (frame.payload.sender_id !== me) ackDelivered(frame.payload.conversation_id, frame.payload.seq);
      break;
    case 'message_updated':
      receiveUpdate(frame.payload);
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
    case 'self_updated':
      // This person's own account, changed here or on another device: header, welcome, settings.
      api.setSelf(frame.payload);
      break;
  }
});

/** Starts the realtime session for the signed-in user. */
export function startChat() {
  if (api.user) paintFromCache(api.user.id);
  void loadConversations().catch(() => {});
  socket.start();
}

/** Signed out: close the socket and forget the user's data in this tab. */
export function stopChat() {
  socket.stop();
  if (!api.user) {
    resetMessages();
    resetConversations();
    resetCompose();
    resetMedia();
    presence.set(() => ({ online: {}, lastSeen: {}, typing: {} }));
  }
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
