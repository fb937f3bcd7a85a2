import type { Message } from '../../../protocol/messages.js';

/** For the store modules' unit tests: a stored text message, `patch` on top. */
export const messageOf = (conversationId: string, seq: number, patch: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversation_id: conversationId,
  seq,
  sender_id: 'u1',
  content: `text ${seq}`,
  message_type: 'text',
  client_id: null,
  created_at: '2026-11-23T10:00:00Z',
  edited_at: null,
  deleted_at: null,
  reply_to: null,
  reactions: [],
  attachment: null,
  change_seq: 0,
  ...patch,
});
