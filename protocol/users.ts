import { z } from 'zod';
import { EntityId } from './ids.js';
import { LIMITS } from './limits.js';
import { hasText, NO_TEXT, NOT_WELL_FORMED, wellFormed } from './text.js';

export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.displayNameMax)
  .refine(wellFormed, NOT_WELL_FORMED)
  .refine(hasText, NO_TEXT);

/** What anyone may see of a user. */
export const PublicUser = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string(),
  /** Their photo, at `GET /api/users/{id}/avatar/{avatar_id}` (a new photo, a new id); null: initials. */
  avatar_id: z.string().nullable(),
  last_seen_at: z.string().nullable(),
});
export type PublicUser = z.infer<typeof PublicUser>;

/** What a user sees of themselves. */
export const SelfUser = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  display_name: z.string(),
  /** Set with `PUT /api/users/me/avatar` (multipart, one image in a part named `file`), removed with DELETE. */
  avatar_id: z.string().nullable(),
  email_verified: z.boolean(),
  /** Calls use TURN relays only, so peers never learn this user's address. */
  relay_only: z.boolean(),
  /** `admin`: the first account, or an address in ADMIN_EMAILS. */
  role: z.enum(['user', 'admin']),
  created_at: z.string(),
});
export type SelfUser = z.infer<typeof SelfUser>;

export const UpdateMeBody = z
  .object({ display_name: DisplayName.optional(), relay_only: z.boolean().optional() })
  .refine((b) => b.display_name !== undefined || b.relay_only !== undefined, {
    message: 'send display_name or relay_only',
    path: ['display_name'],
  });
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

export const AvatarParams = z.object({ id: EntityId, avatar_id: EntityId });

export const UserSearchQuery = z.object({
  query: z
    .string()
    .trim()
    .max(LIMITS.usernameMax + LIMITS.displayNameMax)
    .default(''),
});

export const UserList = z.object({ users: z.array(PublicUser) });
