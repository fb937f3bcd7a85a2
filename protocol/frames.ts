import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { EntityId } from './ids.js';
import { CallPayloads, CallServerPayloads } from './calls.js';
import { checkSend, Content, Emoji, Message, Receipt, SendFields } from './messages.js';
import { SelfUser } from './users.js';

/** WebSocket limits (the server enforces them; clients may use them to stay inside). */
export const WS_LIMITS = {
  maxFrameBytes: 64 * 1024,
  authTimeoutMs: 5_000,
  typingTtlMs: 6_000,
  syncMaxConversations: 200,
  syncPageSize: 100,
  syncChangesPageSize: 200,
} as const;

/** Close codes a client should understand. 1012 = restarting: reconnect (to another node). */
export const CLOSE_CODES = {
  tooBig: 1009,
  restarting: 1012,
  unauthorized: 4401,
  forbidden: 4403,
  slowConsumer: 4008,
} as const;

/** Every frame: `{type, payload, id?}`. A reply to a frame echoes its `id`. */
export const Envelope = z.object({
  type: z.string().min(1).max(64),
  payload: z.unknown().optional(),
  id: z.union([z.string().max(64), z.number().int()]).optional(),
});
export type Envelope = z.infer<typeof Envelope>;

const Id = EntityId;
const Seq = z.number().int().min(0).max(2_147_483_647);

/** Client -> server payloads, by frame type. */
export const ClientPayloads = {
  auth: z.object({ token: z.string().min(1).max(4096) }),
  chat_message: SendFields.extend({ conversation_id: Id }).superRefine(checkSend),
  message_edit: z.object({ message_id: Id, content: Content }),
  message_delete: z.object({ message_id: Id }),
  reaction_add: z.object({ message_id: Id, emoji: Emoji }),
  reaction_remove: z.object({ message_id: Id, emoji: Emoji }),
  typing: z.object({ conversation_id: Id, is_typing: z.boolean() }),
  delivered: z.object({ conversation_id: Id, seq: Seq }),
  read_receipt: z.union([z.object({ conversation_id: Id, seq: Seq }), z.object({ message_id: Id })]),
  sync: z.object({
    conversations: z
      .array(
        z.object({
          conversation_id: Id,
          after_seq: Seq,
          /** Also return the messages up to `after_seq` changed after this change number. */
          after_change_seq: Seq.optional(),
        }),
      )
      .max(WS_LIMITS.syncMaxConversations),
  }),
  ping: z.object({}).passthrough().optional(),
  ...CallPayloads,
} as const;

export type ClientFrameType = keyof typeof ClientPayloads;
export type ClientPayload<T extends ClientFrameType> = z.infer<(typeof ClientPayloads)[T]>;
export const CLIENT_FRAME_TYPES = Object.keys(ClientPayloads) as ClientFrameType[];

export const MessageAck = z.object({
  client_id: z.string(),
  id: z.string(),
  conversation_id: z.string(),
  seq: z.number().int(),
  created_at: z.string(),
});

export const PresenceUpdate = z.object({
  user_id: z.string(),
  status: z.enum(['online', 'offline']),
  timestamp: z.string(),
  last_seen_at: z.string().nullable().optional(),
});

export const TypingUpdate = z.object({ conversation_id: z.string(), user_id: z.string(), is_typing: z.boolean() });

export const SyncResult = z.object({
  conversations: z.array(
    z.object({
      conversation_id: z.string(),
      messages: z.array(Message),
      has_more: z.boolean(),
      /** With `after_change_seq`: the current state of older messages changed since (a page). */
      changes: z.array(Message),
      last_change_seq: z.number().int(),
      /** More changes than a page: fetch them from `GET /api/conversations/{id}/changes`. */
      changes_has_more: z.boolean(),
    }),
  ),
});

/** Server -> client payloads, by frame type. */
export const ServerPayloads = {
  ready: z.object({
    user_id: z.string(),
    session_id: z.string(),
    server_time: z.string(),
    /** This server's settings a client needs to offer only what will be accepted. */
    limits: z.object({
      /** How long after sending a message its author may edit it; 0 = always. */
      message_edit_window_seconds: z.number().int(),
      upload_max_bytes: z.number().int(),
    }),
  }),
  message_ack: MessageAck,
  new_message: Message,
  /** A message was edited, deleted or reacted to: its whole current state. */
  message_updated: Message,
  typing: TypingUpdate,
  receipt_update: Receipt,
  presence_update: PresenceUpdate,
  sync_result: SyncResult,
  conversation_created: z.object({ conversation_id: z.string() }),
  conversation_updated: z.object({ conversation_id: z.string() }),
  pong: z.object({ server_time: z.string() }),
  /** Events meant for you may have been lost between nodes: catch up as after `ready`. */
  resync: z.object({}),
  self_updated: SelfUser,
  ...CallServerPayloads,
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    ref: z.union([z.string(), z.number()]).optional(),
    retry_after_ms: z.number().optional(),
  }),
} as const;

export type ServerFrameType = keyof typeof ServerPayloads;
export type ServerPayload<T extends ServerFrameType> = z.infer<(typeof ServerPayloads)[T]>;
export type ServerFrame = {
  [T in ServerFrameType]: { type: T; payload: ServerPayload<T>; id?: string | number };
}[ServerFrameType];
