import { z } from 'zod';
import { LIMITS } from './limits.js';
import { EntityId } from './ids.js';
import { hasText, NO_TEXT, NOT_WELL_FORMED, oneGrapheme, wellFormed } from './text.js';

/** What a client may send. `call` and `event` messages are written by the server (SYSTEM_MESSAGE_TYPES). */
export const MESSAGE_TYPES = ['text', 'image', 'file'] as const;
export const MessageType = z.enum(MESSAGE_TYPES);

/**
 * Messages the server writes into a conversation, shown as centred lines, not bubbles: `call`
 * (a finished call: `{call_id, media, state, duration_seconds, started_at}`; the message is
 * stored when it ends) and `event` (a change to a
 * group, by its sender: GroupEvent). Nobody edits, deletes, reacts to or searches them.
 */
export const SYSTEM_MESSAGE_TYPES = ['call', 'event'] as const;
export const isSystemMessage = (messageType: string) =>
  (SYSTEM_MESSAGE_TYPES as readonly string[]).includes(messageType);

/**
 * The content of an `event` message (JSON), done by its sender: `added` and `removed` name the
 * members in `user_ids`; `left` is the sender leaving; `renamed` gives the new `title`;
 * `photo` is a new group photo, `photo_removed` its removal.
 * Clients show an event they do not know as a plain "group changed" line.
 */
export const GroupEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('added'), user_ids: z.array(z.string()) }),
  z.object({ event: z.literal('removed'), user_ids: z.array(z.string()) }),
  z.object({ event: z.literal('left') }),
  z.object({ event: z.literal('renamed'), title: z.string() }),
  z.object({ event: z.literal('photo') }),
  z.object({ event: z.literal('photo_removed') }),
]);
export type GroupEvent = z.infer<typeof GroupEvent>;

export const Content = z
  .string()
  .max(LIMITS.contentMax, `must be at most ${LIMITS.contentMax} characters`)
  .refine(wellFormed, NOT_WELL_FORMED)
  .refine(hasText, NO_TEXT);

/**
 * A client's own token for a send (its retries reuse it). Messages the server writes use ones
 * no client can send (`call:…`).
 */
export const ClientId = z
  .string()
  .min(1)
  .max(LIMITS.clientIdMax)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a UUID or another token of letters, digits, "-" and "_"');

/** A message this one answers, as much of it as a quote needs (`content` cut to 200 characters). */
export const ReplyPreview = z.object({
  id: z.string(),
  seq: z.number().int(),
  sender_id: z.string().nullable(),
  content: z.string(),
  message_type: z.string(),
  /** The original was deleted for everyone: show "message deleted", not its text. */
  deleted: z.boolean(),
  /** The original's attachment's name (a file or a photo), so the quote can show it. */
  filename: z.string().nullable().optional(),
});
export type ReplyPreview = z.infer<typeof ReplyPreview>;

/** One emoji on a message: who put it there, first reactor first. */
export const Reaction = z.object({ emoji: z.string(), count: z.number().int(), user_ids: z.array(z.string()) });
export type Reaction = z.infer<typeof Reaction>;

/**
 * A stored upload. `content_type` is what the server sniffed from the bytes, never what the
 * client claimed. Members fetch it at `GET /api/uploads/{id}` (and `/thumbnail` when
 * `has_thumbnail`) with their token.
 */
export const Attachment = z.object({
  id: z.string(),
  filename: z.string(),
  content_type: z.string(),
  size: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  has_thumbnail: z.boolean(),
});
export type Attachment = z.infer<typeof Attachment>;

/**
 * A message as every reader sees it now. A deleted message is a tombstone: it keeps its seq,
 * `deleted_at` is set and its content, attachment and reactions are gone.
 * `change_seq` is the conversation's change number of the last edit, delete or reaction on
 * it (0 when never changed): a client keeps the newest state by comparing it.
 */
export const Message = z.object({
  id: z.string(),
  conversation_id: z.string(),
  seq: z.number().int(),
  sender_id: z.string(),
  content: z.string(),
  message_type: z.string(),
  client_id: z.string().nullable(),
  created_at: z.string(),
  edited_at: z.string().nullable(),
  deleted_at: z.string().nullable(),
  reply_to: ReplyPreview.nullable(),
  reactions: z.array(Reaction),
  attachment: Attachment.nullable(),
  change_seq: z.number().int(),
});
export type Message = z.infer<typeof Message>;

/**
 * The fields of a send, over REST or WebSocket. A text needs content; an image or a file
 * needs an `attachment_id` (from `POST /api/uploads`) and may carry a caption.
 */
export const SendFields = z.object({
  content: z
    .string()
    .max(LIMITS.contentMax, `must be at most ${LIMITS.contentMax} characters`)
    .refine(wellFormed, NOT_WELL_FORMED)
    .default(''),
  message_type: MessageType.default('text'),
  client_id: ClientId,
  reply_to: EntityId.optional(),
  attachment_id: EntityId.optional(),
});

/** The rules between the fields of a send (kept apart so the frame schema can reuse them). */
export function checkSend(
  m: { content: string; message_type: string; attachment_id?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (m.message_type === 'text') {
    if (!hasText(m.content)) ctx.addIssue({ code: 'custom', path: ['content'], message: NO_TEXT });
    if (m.attachment_id !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['message_type'],
        message: 'a message with an attachment is an image or a file',
      });
    }
  } else if (m.attachment_id === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['attachment_id'],
      message: `an ${m.message_type} message needs an attachment_id`,
    });
  }
}

export const SendMessageBody = SendFields.superRefine(checkSend);
export type SendMessageBody = z.infer<typeof SendMessageBody>;

export const EditMessageBody = z.object({ content: Content });

/** One emoji (with its modifiers and joiners), not text. */
export const Emoji = z
  .string()
  .min(1)
  .max(LIMITS.emojiMax)
  .regex(
    /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Component}|\uFE0F|\u200D|\u20E3)+$/u,
    'must be one emoji',
  )
  // Digits and # are emoji components too: alone they are text, with U+20E3 a keycap emoji.
  .refine((s) => /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u.test(s), 'must be one emoji')
  // One, not a run of them: one grapheme (a family, a flag or a skin tone is one).
  .refine(oneGrapheme, 'must be one emoji');

export const MessageParams = z.object({ id: EntityId });
export const ReactionParams = z.object({ id: EntityId, emoji: Emoji });

/** Changes (edits, deletes, reactions) after `after_change_seq`, oldest change first. */
export const ChangesQuery = z.object({
  after_change_seq: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageMax),
});
export const ChangeList = z.object({
  /** The current state of each changed message, in change order. */
  changes: z.array(Message),
  /** The conversation's newest change number: the cursor to keep when `has_more` is false. */
  last_change_seq: z.number().int(),
  has_more: z.boolean(),
});
export type ChangeList = z.infer<typeof ChangeList>;

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
