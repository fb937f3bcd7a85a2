import { z } from 'zod';
import { LIMITS } from './limits.js';
import { DisplayName, SelfUser } from './users.js';

export const Username = z
  .string()
  .min(LIMITS.usernameMin, `must be at least ${LIMITS.usernameMin} characters`)
  .max(LIMITS.usernameMax, `must be at most ${LIMITS.usernameMax} characters`)
  .regex(/^[a-zA-Z0-9_.]+$/, 'may contain only letters, digits, "_" and "."');

export const Password = z
  .string()
  .min(LIMITS.passwordMin, `must be at least ${LIMITS.passwordMin} characters`)
  .max(LIMITS.passwordMax);

export const RegisterBody = z.object({
  username: Username,
  email: z.email().max(LIMITS.emailMax),
  password: Password,
  display_name: DisplayName.optional(),
});
export type RegisterBody = z.infer<typeof RegisterBody>;

/** `email` may also hold a username. */
export const LoginBody = z.object({
  email: z.string().min(1).max(LIMITS.emailMax),
  password: z.string().min(1).max(LIMITS.passwordMax),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = z.object({ refresh_token: z.string().min(1).max(512) });

/** Optional: with no body, the bearer token's session ends. */
export const LogoutBody = z.object({ refresh_token: z.string().min(1).max(512).optional() }).nullish();

export const AuthResponse = z.object({
  token: z.string(),
  refresh_token: z.string(),
  expires_in: z.number(),
  user: SelfUser,
});
export type AuthResponse = z.infer<typeof AuthResponse>;
