import { z } from 'zod';
import { LIMITS } from './limits.js';

export const MESSAGE_TYPES = ['text'] as const;
export const MessageType = z.enum(MESSAGE_TYPES);

export const Content = z
  .string()
  .max(LIMITS.contentMax, `must be at most ${LIMITS.contentMax} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty');

export const ClientId = z
  .string()
  .min(1)
  .max(LIMITS.clientIdMax)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a UUID or another token of letters, digits, "-" and "_"');

export const Message = z.object({
  id: z.string(),
  conversation_id: z.string(),
  seq: z.number().int(),
  sender_id: z.string(),
  content: z.string(),
  message_type: z.string(),
  client_id: z.string().nullable(),
  created_at: z.string(),
});
export type Message = z.infer<typeof Message>;

export const SendMessageBody = z.object({
  content: Content,
  message_type: MessageType.default('text'),
  client_id: ClientId,
});
export type SendMessageBody = z.infer<typeof SendMessageBody>;

const Seq = z.coerce.number().int().min(0).max(2_147_483_647);

/** `offset` pages newest first (the documented API); `before_seq` / `after_seq` are keyset pages. */
export const HistoryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    before_seq: Seq.optional(),
    after_seq: Seq.optional(),
  })
  .refine((q) => q.before_seq === undefined || q.after_seq === undefined, {
    message: 'use either before_seq or after_seq, not both',
    path: ['after_seq'],
  });
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const MessageList = z.object({ messages: z.array(Message) });

export const ReadBody = z.object({ seq: Seq });

export const Receipt = z.object({
  conversation_id: z.string(),
  user_id: z.string(),
  delivered_seq: z.number().int(),
  read_seq: z.number().int(),
});
export type Receipt = z.infer<typeof Receipt>;
