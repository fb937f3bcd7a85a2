import type { Ctx } from '../context.js';
import type { ClientFrameType, ClientPayload, ServerFrame, ServerFrameType } from '../../protocol/frames.js';
import { sendMessage, advanceWatermark } from '../messages/service.js';
import { locateMessage, syncConversations } from '../messages/sync.js';
import { addReaction, deleteMessage, editMessage, removeReaction } from '../messages/changes.js';
import { AppError } from '../errors.js';
import { answerCall, endCall, markMissed, placeCall, relayToPeer, ringNewDevice } from '../calls/service.js';
import { rejoinCall } from '../calls/away.js';
import type { Connection } from './connection.js';
import type { TypingTracker } from './typing.js';

export interface FrameContext {
  ctx: Ctx;
  conn: Connection;
  typing: TypingTracker;
  /** Sends a reply that echoes the request frame's id. */
  reply(frame: ServerFrame): void;
  /** The same, with the payload given as JSON text (built by PostgreSQL) of that type's payload. */
  replyJson(type: ServerFrameType, payload: string): void;
  /**
   * Lets the socket's next frame start before this one finishes: call it once this frame's
   * effect holds its place in order (nothing the next frame does can overtake it).
   */
  queued(): void;
}

type Handler<T extends ClientFrameType> = (f: FrameContext, payload: ClientPayload<T>) => Promise<void>;

/** One handler per client frame type (auth is handled by the gateway before any of these). */
export const handlers: { [T in Exclude<ClientFrameType, 'auth'>]: Handler<T> } = {
  async chat_message({ ctx, conn, reply, queued }, p) {
    const { message } = await sendMessage(
      ctx,
      {
        senderId: conn.userId,
        conversationId: p.conversation_id,
        content: p.content,
        messageType: p.message_type,
        clientId: p.client_id,
        replyTo: p.reply_to,
        attachmentId: p.attachment_id,
      },
      queued,
    );
    // Only now, after commit: acked means durable.
    reply({
      type: 'message_ack',
      payload: {
        client_id: p.client_id,
        id: message.id,
        conversation_id: message.conversation_id,
        seq: message.seq,
        created_at: message.created_at,
      },
    });
  },

  async message_edit({ ctx, conn, reply }, p) {
    reply({ type: 'message_updated', payload: await editMessage(ctx, conn.userId, p.message_id, p.content) });
  },

  async message_delete({ ctx, conn, reply }, p) {
    reply({ type: 'message_updated', payload: await deleteMessage(ctx, conn.userId, p.message_id) });
  },

  async reaction_add({ ctx, conn, reply }, p) {
    reply({ type: 'message_updated', payload: await addReaction(ctx, conn.userId, p.message_id, p.emoji) });
  },

  async reaction_remove({ ctx, conn, reply }, p) {
    reply({ type: 'message_updated', payload: await removeReaction(ctx, conn.userId, p.message_id, p.emoji) });
  },

  async typing({ conn, typing }, p) {
    await typing.set(conn.userId, conn.id, p.conversation_id, p.is_typing);
  },

  async delivered({ ctx, conn }, p) {
    await advanceWatermark(ctx, conn.userId, p.conversation_id, p.seq, 'delivered');
  },

  async read_receipt({ ctx, conn }, p) {
    const target = 'message_id' in p ? await locateMessage(ctx, conn.userId, p.message_id) : p;
    await advanceWatermark(ctx, conn.userId, target.conversation_id, target.seq, 'read');
  },

  async sync({ ctx, conn, replyJson }, p) {
    const { json, unknown } = await syncConversations(ctx, conn.userId, p.conversations);
    replyJson('sync_result', json);
    if (unknown.length > 0) {
      throw new AppError('not_found', `Conversation not found: ${unknown.slice(0, 10).join(', ')}`);
    }
  },

  async ping({ ctx, reply }) {
    reply({ type: 'pong', payload: { server_time: ctx.now().toISOString() } });
  },

  async call_offer({ ctx, conn }, p) {
    const device = { userId: conn.userId, socketId: conn.id };
    const { state } = await placeCall(ctx, device, {
      callId: p.call_id,
      conversationId: p.conversation_id,
      recipientId: p.recipient_id,
      media: p.media,
      offer: p.offer,
    });
    if (state === 'ringing') {
      setTimeout(() => {
        markMissed(ctx, p.call_id).catch((err) => ctx.log.error({ err }, 'missed call not recorded'));
      }, ctx.config.CALL_RING_TIMEOUT_MS).unref();
    }
  },

  async call_answer({ ctx, conn }, p) {
    await answerCall(ctx, { userId: conn.userId, socketId: conn.id }, p.call_id, p.answer);
  },

  async ice_candidate({ ctx, conn }, p) {
    const payload = { call_id: p.call_id, candidate: p.candidate };
    await relayToPeer(ctx, { userId: conn.userId, socketId: conn.id }, { type: 'ice_candidate', payload });
  },

  async call_media({ ctx, conn }, p) {
    const payload = { call_id: p.call_id, muted: p.muted, camera_off: p.camera_off };
    await relayToPeer(ctx, { userId: conn.userId, socketId: conn.id }, { type: 'call_media', payload });
  },

  async call_decline({ ctx, conn }, p) {
    await endCall(ctx, { userId: conn.userId, socketId: conn.id }, p.call_id, 'decline');
  },

  async call_cancel({ ctx, conn }, p) {
    await endCall(ctx, { userId: conn.userId, socketId: conn.id }, p.call_id, 'cancel');
  },

  async call_end({ ctx, conn }, p) {
    await endCall(ctx, { userId: conn.userId, socketId: conn.id }, p.call_id, 'end');
  },

  async call_rejoin({ ctx, conn }, p) {
    await rejoinCall(ctx, { userId: conn.userId, socketId: conn.id }, p.call_id);
  },

  async ringing_calls({ ctx, conn, reply }) {
    // As at the socket's open: after a `resync`, an offer may have been lost between nodes.
    await ringNewDevice(ctx, conn.userId, reply);
  },
};
