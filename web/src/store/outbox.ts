import { isImageType } from '../../../protocol/uploads.js';
import type { ChatSocket } from '../api/socket';
import { newClientId } from '../components/ids';
import { addMessages, messages, type Pending, type SendExtras } from './messages';

// The outbox: own messages not yet acknowledged (kept in the messages store, and in
// localStorage across reloads), and the sender that delivers them in order.

/** Queues a message and tries to send it at once; it stays queued (and is retried) until acked. */
export function queueMessage(userId: string, conversationId: string, content: string, extras: SendExtras = {}) {
  const attachment = extras.attachment ?? null;
  const pending: Pending = {
    user_id: userId,
    client_id: newClientId(),
    conversation_id: conversationId,
    content,
    created_at: new Date().toISOString(),
    status: 'sending',
    // Images the server can show inline are photos; anything else is a file to download.
    message_type: attachment ? (isImageType(attachment.content_type) ? 'image' : 'file') : 'text',
    attachment,
    reply_to: extras.replyTo ?? null,
  };
  messages.set((s) => ({ ...s, outbox: [...s.outbox, pending] }));
}

export function retryMessage(clientId: string) {
  messages.set((s) => ({
    ...s,
    outbox: s.outbox.map((p) => (p.client_id === clientId ? { ...p, status: 'sending', error: undefined } : p)),
  }));
}

export function discardMessage(clientId: string) {
  messages.set((s) => ({ ...s, outbox: s.outbox.filter((p) => p.client_id !== clientId) }));
}

/**
 * Sends queued messages one at a time, oldest first, so they are stored in the order they
 * were written. A message that got no answer stays queued for the next connection; the same
 * client_id makes the retry safe (the server never stores it twice).
 */
export function createOutboxSender(socket: ChatSocket, myId: () => string | undefined) {
  let running = false;
  // Answers worth sending the same message again for; any other error is this message's own
  // (too long, not a member, ...) and marks it failed, with the server's words, to edit or drop.
  // `internal` is retried a few times only: a server fault that repeats is the message's too.
  const transient = new Set(['unavailable', 'internal', 'unauthorized']);
  const INTERNAL_TRIES = 3;
  const tries = new Map<string, number>();
  async function flush() {
    if (running) return;
    running = true;
    try {
      for (;;) {
        const me = myId();
        const next = messages.get().outbox.find((p) => p.status === 'sending' && p.user_id === me);
        if (!next || !socket.isOnline) return;
        const reply = await socket.request('chat_message', {
          conversation_id: next.conversation_id,
          content: next.content,
          message_type: next.message_type,
          client_id: next.client_id,
          ...(next.reply_to ? { reply_to: next.reply_to.id } : {}),
          ...(next.attachment ? { attachment_id: next.attachment.id } : {}),
        });
        if (!reply) return; // disconnected or no answer: try again after reconnect
        // Internal errors are counted in a row, per message: any other answer starts again.
        if (reply.type !== 'error' || reply.payload.code !== 'internal') tries.delete(next.client_id);
        if (reply.type === 'message_ack') {
          const a = reply.payload;
          addMessages(a.conversation_id, [
            {
              ...a,
              sender_id: next.user_id,
              content: next.content,
              message_type: next.message_type,
              client_id: a.client_id,
              edited_at: null,
              deleted_at: null,
              reply_to: next.reply_to,
              reactions: [],
              attachment: next.attachment,
              // Lowest: any state the server sends for this message replaces this one.
              change_seq: -1,
            },
          ]);
        } else if (reply.type === 'error' && reply.payload.code === 'rate_limited') {
          await new Promise((r) => setTimeout(r, reply.payload.retry_after_ms ?? 1000));
        } else if (reply.type === 'error' && !transient.has(reply.payload.code)) {
          markFailed(next.client_id, reply.payload.message);
        } else if (reply.type === 'error' && reply.payload.code === 'internal') {
          const n = (tries.get(next.client_id) ?? 0) + 1;
          tries.set(next.client_id, n);
          if (n >= INTERNAL_TRIES) {
            tries.delete(next.client_id);
            markFailed(next.client_id, reply.payload.message);
          } else await new Promise((r) => setTimeout(r, 1000 * n));
        } else {
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally {
      running = false;
    }
  }
  const unsubscribe = messages.subscribe(() => {
    if (!running && messages.get().outbox.some((p) => p.status === 'sending' && p.user_id === myId())) void flush();
  });
  return Object.assign(flush, { stop: unsubscribe });
}

function markFailed(clientId: string, error: string) {
  messages.set((s) => ({
    ...s,
    outbox: s.outbox.map((p) => (p.client_id === clientId ? { ...p, status: 'failed', error } : p)),
  }));
}
