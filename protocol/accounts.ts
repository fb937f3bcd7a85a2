import { z } from 'zod';
import { LIMITS } from './limits.js';
import { Password } from './auth.js';
import { PublicUser } from './users.js';

/** A token from an email link (random, base64url). */
const EmailToken = z.string().min(16).max(128);

export const VerifyEmailBody = z.object({ token: EmailToken });
export const PasswordResetRequestBody = z.object({ email: z.string().min(1).max(LIMITS.emailMax) });
export const PasswordResetConfirmBody = z.object({ token: EmailToken, new_password: Password });
export const ChangePasswordBody = z.object({
  current_password: z.string().min(1).max(LIMITS.passwordMax),
  new_password: Password,
});

export const Session = z.object({
  id: z.string(),
  user_agent: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string(),
  /** The session of the token that asked. */
  current: z.boolean(),
});
export const SessionList = z.object({ sessions: z.array(Session) });
export type Session = z.infer<typeof Session>;

export const AdminUser = PublicUser.extend({
  email: z.string(),
  role: z.enum(['user', 'admin']),
  email_verified: z.boolean(),
  disabled: z.boolean(),
  created_at: z.string(),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const AdminUsersQuery = z.object({
  query: z.string().trim().max(LIMITS.emailMax).default(''),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export const AdminUserList = z.object({ users: z.array(AdminUser), total: z.number().int() });

export const AdminStats = z.object({
  users: z.number().int(),
  disabled_users: z.number().int(),
  conversations: z.number().int(),
  messages: z.number().int(),
  online_now: z.number().int(),
});
export type AdminStats = z.infer<typeof AdminStats>;
