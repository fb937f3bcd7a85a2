import type { Attachment } from '../../../../protocol/messages.js';
import { callText } from '../calls/callText';

/** One line about a message for a quote or the conversation list: its text, or what it carries. */
export function snippetOf(m: {
  message_type: string;
  content: string;
  attachment?: Attachment | null;
  /** A quote's: the original's attachment's name. */
  filename?: string | null | undefined;
  deleted?: boolean;
  /** Sent by the reader (a call reads "Missed voice call" to the one called only). */
  mine?: boolean;
}): string {
  if (m.deleted) return 'Message deleted';
  if (m.message_type === 'call') return callText(m.content, m.mine ?? false);
  // Who did what needs the conversation's names: eventText. (Never quoted, never found.)
  if (m.message_type === 'event') return 'The group was changed';
  const text = m.content.replace(/\s+/g, ' ').trim();
  if (m.message_type === 'image') return `📷 ${text || 'Photo'}`;
  if (m.message_type === 'file') return `📎 ${m.attachment?.filename ?? m.filename ?? (text || 'File')}`;
  return text;
}
