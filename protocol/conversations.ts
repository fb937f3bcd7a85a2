import { z } from 'zod';
import { LIMITS } from './limits.js';
import { Message } from './messages.js';
import { EntityId } from './ids.js';
import { hasText, NO_TEXT, NOT_WELL_FORMED, wellFormed } from './text.js';

export const ROLES = ['owner', 'admin', 'member'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const UserId = EntityId;
const Title = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.titleMax)
  .refine(wellFormed, NOT_WELL_FORMED)
  .refine(hasText, NO_TEXT);

export const CreateConversationBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('one_to_one'), member_ids: z.array(UserId).length(1) }),
  z.object({
    type: z.literal('group'),
    title: Title,
    member_ids: z.array(UserId).max(LIMITS.groupMembersMax).default([]),
  }),
]);
export type CreateConversationBody = z.infer<typeof CreateConversationBody>;

export const UpdateConversationBody = z.object({ title: Title });

export const AddMembersBody = z.object({
  user_ids: z.array(UserId).min(1).max(LIMITS.groupMembersMax),
});

/** Owners promote members to admin and back; ownership moves only when the owner leaves. */
export const UpdateMemberBody = z.object({ role: z.enum(['admin', 'member']) });

export const Member = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string(),
  /** Their photo (see PublicUser); null: initials. */
  avatar_id: z.string().nullable(),
  role: Role,
  /** Online right now (any device on any node); live changes arrive as presence_update. */
  online: z.boolean(),
  last_seen_at: z.string().nullable(),
  delivered_seq: z.number().int(),
  read_seq: z.number().int(),
});
export type Member = z.infer<typeof Member>;

export const Conversation = z.object({
  id: z.string(),
  type: z.enum(['one_to_one', 'group']),
  title: z.string().nullable(),
  /**
   * A group's photo (`GET /api/conversations/{id}/avatar/{avatar_id}`), or null: initials. A
   * one-to-one chat has none of its own; it shows the other member's.
   */
  avatar_id: z.string().nullable(),
  members: z.array(Member),
  last_message: Message.nullable(),
  last_seq: z.number().int(),
  /** The newest change number (edits, deletes, reactions): where a client starts its change cursor. */
  last_change_seq: z.number().int(),
  unread_count: z.number().int(),
  created_at: z.string(),
  last_activity_at: z.string(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationList = z.object({ conversations: z.array(Conversation) });

export const IdParams = z.object({ id: EntityId });
export const ConversationAvatarParams = z.object({ id: EntityId, avatar_id: EntityId });
export const MemberParams = z.object({ id: EntityId, user_id: EntityId });
