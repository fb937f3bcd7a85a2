/**
 * The WebSocket authorization matrix (authz-frames.test.ts): one row per client frame type,
 * saying who may send it, the payloads a persona tries and what a member's control gets.
 */
import { randomUUID } from 'node:crypto';
import type { ClientFrameType, ServerFrameType } from '../../protocol/frames.js';
import type { Frame } from '../helpers/ws.js';
import { offer, answer, type Target } from './authz-kit.js';

/**
 * - special: the auth frame itself (tested on its own in authz-frames.test.ts).
 * - user: not about any conversation; refused to anonymous and disabled sockets only.
 * - conversation / call: about a conversation or a call; every persona is refused with
 *   `not_found` and nothing reaches anyone. `alsoReplies` are the replies a refusal may carry
 *   (sync answers with an empty result before its error). `control` is what a member gets for
 *   the first payload aimed at the twin group (call frames have their own control).
 */
export type FrameRow =
  | { special: string }
  | { scope: 'user'; why: string; payloads: (t: Target) => unknown[]; reply: ServerFrameType }
  | {
      scope: 'conversation' | 'call';
      payloads: (t: Target) => unknown[];
      alsoReplies?: (f: Frame) => boolean;
      /** Before each persona tries, the owner posts a message: the group has something unread. */
      unread?: true;
      control?: { reply?: ServerFrameType; event?: ServerFrameType };
    };

export const FRAMES = {
  auth: { special: 'authenticates the socket; bad, disabled and repeated auth are tested on their own' },
  chat_message: {
    scope: 'conversation',
    payloads: (t) => [
      { conversation_id: t.conversationId, content: 'intruder frame', message_type: 'text', client_id: randomUUID() },
      ...(t.retryClientId
        ? [{ conversation_id: t.conversationId, content: 'retry', message_type: 'text', client_id: t.retryClientId }]
        : []),
    ],
    control: { reply: 'message_ack', event: 'new_message' },
  },
  message_edit: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.editFrame, content: 'rewritten by frame' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  message_delete: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.deleteFrame }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  reaction_add: {
    scope: 'conversation',
    payloads: (t) => [{ message_id: t.messageId, emoji: '🎉' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  reaction_remove: {
    scope: 'conversation',
    // The member's control has a reaction of theirs to take (put there by the fixture).
    payloads: (t) => [{ message_id: t.messageId, emoji: '🔥' }],
    control: { reply: 'message_updated', event: 'message_updated' },
  },
  typing: {
    scope: 'conversation',
    payloads: (t) => [
      { conversation_id: t.conversationId, is_typing: true },
      { conversation_id: t.conversationId, is_typing: false },
    ],
    control: { event: 'typing' },
  },
  delivered: {
    scope: 'conversation',
    payloads: (t) => [{ conversation_id: t.conversationId, seq: t.seq }],
    unread: true,
    control: { event: 'receipt_update' },
  },
  read_receipt: {
    scope: 'conversation',
    payloads: (t) => [{ conversation_id: t.conversationId, seq: t.seq }, { message_id: t.messageId }],
    unread: true,
    control: { event: 'receipt_update' },
  },
  sync: {
    scope: 'conversation',
    payloads: (t) => [{ conversations: [{ conversation_id: t.conversationId, after_seq: 0 }] }],
    alsoReplies: (f) => f.type === 'sync_result' && f.payload.conversations.length === 0,
    control: { reply: 'sync_result' },
  },
  ping: {
    scope: 'user',
    why: 'about no conversation (the reply is the server time): anonymous + disabled only',
    payloads: () => [{}],
    reply: 'pong',
  },
  call_offer: {
    scope: 'call',
    payloads: (t) => [{ call_id: randomUUID(), conversation_id: t.directId, media: 'audio', offer }],
  },
  call_answer: { scope: 'call', payloads: (t) => [{ call_id: t.callId, answer }] },
  ice_candidate: {
    scope: 'call',
    payloads: (t) => [{ call_id: t.callId, candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' }],
  },
  call_media: { scope: 'call', payloads: (t) => [{ call_id: t.callId, muted: true, camera_off: false }] },
  call_decline: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  call_cancel: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  call_end: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  call_rejoin: { scope: 'call', payloads: (t) => [{ call_id: t.callId }] },
  ringing_calls: {
    scope: 'user',
    why: 'about the calls ringing for the sender only: anonymous + disabled only',
    payloads: () => [{}],
    reply: 'call_offer',
  },
} satisfies Record<ClientFrameType, FrameRow>;
