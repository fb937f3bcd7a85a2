import type { Message } from '../../protocol/messages.js';
import { isoNow } from '../ids.js';

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_id: string | null;
  kind: string;
  body: string;
  created_at: Date;
}

export const MESSAGE_COLUMNS = 'id, conversation_id, seq, sender_id, client_id, kind, body, created_at';

export const presentMessage = (m: MessageRow): Message => ({
  id: m.id,
  conversation_id: m.conversation_id,
  seq: m.seq,
  sender_id: m.sender_id,
  content: m.body,
  message_type: m.kind,
  client_id: m.client_id,
  created_at: isoNow(m.created_at),
});
