import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import type { Queryable } from '../db/client.js';
import type { AdminStats, AdminUser, Session } from '../../protocol/accounts.js';
import { AppError, RetryLaterError, notFound } from '../errors.js';
import { isUuid, iso, isoNow } from '../ids.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { sha256 } from '../auth/tokens.js';
import { enqueue } from '../jobs/queue.js';
import { announceSelf, getMe, setUserDisabled } from '../users/service.js';

export type EmailPurpose = 'verify_email' | 'reset_password';

const TOKEN_TTL_HOURS = 24;
/** At most one verification email a minute per account. */
const RESEND_INTERVAL_SECONDS = 60;

const invalidToken = () => new AppError('bad_request', 'This link is invalid, used or expired; ask for a new one');

/** The public URL of the web client, for links in emails. */
export const publicOrigin = (ctx: Ctx) => ctx.config.PUBLIC_ORIGIN ?? `http://localhost:${ctx.config.PORT || 8080}`;

/**
 * Creates a single-use token and queues the email carrying it, in the caller's transaction:
 * the email is sent only if the transaction commits, and sent even if this node crashes after.
 */
export async function queueEmailToken(
  ctx: Ctx,
  q: Queryable,
  user: { id: string; email: string; display_name: string },
  purpose: EmailPurpose,
): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  await q.query(
    `INSERT INTO email_tokens (user_id, purpose, token_hash, email, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))`,
    [user.id, purpose, sha256(token), user.email, TOKEN_TTL_HOURS],
  );
  const origin = publicOrigin(ctx);
  const mail =
    purpose === 'verify_email'
      ? {
          subject: 'Confirm your email for Chatify',
          text: `Hello ${user.display_name},\n\nConfirm your email address by opening this link:\n\n${origin}/verify-email?token=${token}\n\nThe link works once, for ${TOKEN_TTL_HOURS} hours. If you did not sign up, ignore this email.\n`,
        }
      : {
          subject: 'Reset your Chatify password',
          text: `Hello ${user.display_name},\n\nSomeone (hopefully you) asked to reset your password. Choose a new one here:\n\n${origin}/reset-password?token=${token}\n\nThe link works once, for ${TOKEN_TTL_HOURS} hours. Resetting signs you out everywhere. If you did not ask, ignore this email.\n`,
        };
  await enqueue(q, 'email', { to: user.email, ...mail });
}

/** Spends a token: its user id, or `invalidToken` when it is unknown, used, expired or for another purpose. */
async function spendToken(
  q: Queryable,
  token: string,
  purpose: EmailPurpose,
): Promise<{ userId: string; email: string }> {
  const { rows } = await q.query<{ user_id: string; email: string }>(
    `UPDATE email_tokens SET used_at = now()
      WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
      RETURNING user_id, email`,
    [sha256(token), purpose],
  );
  if (!rows[0]) throw invalidToken();
  return { userId: rows[0].user_id, email: rows[0].email };
}

export async function verifyEmail(ctx: Ctx, token: string): Promise<void> {
  const userId = await ctx.db.transaction(async (tx) => {
    const { userId, email } = await spendToken(tx, token, 'verify_email');
    // Only the address the link was sent to: a link for an address since changed does nothing.
    const { rowCount } = await tx.query(
      'UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1 AND lower(email) = lower($2)',
      [userId, email],
    );
    if (rowCount === 0) throw invalidToken();
    return userId;
  });
  // The banner asking to confirm goes away on every device that is open, not just this one.
  // Best effort, as every live event: the address is confirmed whatever this read does.
  await getMe(ctx, userId).then(
    (self) => announceSelf(ctx, self),
    () => {},
  );
}

export async function resendVerification(ctx: Ctx, userId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      email: string;
      display_name: string;
      verified: boolean;
      wait: number | null;
    }>(
      `SELECT u.id, u.email, u.display_name, u.email_verified_at IS NOT NULL AS verified,
              (SELECT ceil(extract(epoch FROM max(t.created_at) + make_interval(secs => $2) - now()))::int
                 FROM email_tokens t WHERE t.user_id = u.id AND t.purpose = 'verify_email') AS wait
         FROM users u WHERE u.id = $1 FOR UPDATE`,
      [userId, RESEND_INTERVAL_SECONDS],
    );
    const u = rows[0];
    if (!u) throw notFound('User not found');
    if (u.verified) throw new AppError('conflict', 'Your email address is already verified');
    if (u.wait !== null && u.wait > 0) {
      throw new RetryLaterError(`A verification email was sent moments ago; try again in ${u.wait} s`, u.wait * 1000);
    }
    await queueEmailToken(ctx, tx, u, 'verify_email');
  });
}

/** Always answers the same way, so it does not tell whether an account exists. */
export async function requestPasswordReset(ctx: Ctx, emailOrUsername: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; email: string; display_name: string }>(
      `SELECT id, email, display_name FROM users
        WHERE (lower(email) = lower($1) OR lower(username) = lower($1)) AND disabled_at IS NULL
        ORDER BY lower(email) = lower($1) DESC LIMIT 1`,
      [emailOrUsername],
    );
    const u = rows[0];
    if (!u) return;
    // Quietly at most one reset email a minute per account (no oracle, no mail bombing).
    const recent = await tx.query(
      `SELECT 1 FROM email_tokens WHERE user_id = $1 AND purpose = 'reset_password'
          AND created_at > now() - make_interval(secs => $2)`,
      [u.id, RESEND_INTERVAL_SECONDS],
    );
    if (recent.rowCount === 0) await queueEmailToken(ctx, tx, u, 'reset_password');
  });
}

/** Sets a new password from an email link, ends every session, and proves the address. */
export async function confirmPasswordReset(ctx: Ctx, token: string, newPassword: string): Promise<void> {
  const passwordHash = await hashPassword(newPassword);
  const sessions = await ctx.db.transaction(async (tx) => {
    const { userId } = await spendToken(tx, token, 'reset_password');
    await tx.query(
      'UPDATE users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1',
      [userId, passwordHash],
    );
    await tx.query(
      "UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL",
      [userId],
    );
    await tx.query('DELETE FROM login_failures WHERE key = (SELECT $2 || lower(email) FROM users WHERE id = $1)', [
      userId,
      'account:',
    ]);
    return revokeSessions(tx, userId);
  });
  for (const id of sessions) ctx.bus.publishSessionRevoked(id);
}

async function revokeSessions(tx: Queryable, userId: string, except?: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE sessions SET revoked_at = now()
      WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid) RETURNING id`,
    [userId, except ?? null],
  );
  return rows.map((r) => r.id);
}

/** Changes the password; every other session ends (their sockets close). */
export async function changePassword(
  ctx: Ctx,
  auth: { userId: string; sessionId: string },
  current: string,
  next: string,
): Promise<void> {
  const { rows } = await ctx.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
    auth.userId,
  ]);
  if (!rows[0] || !(await verifyPassword(rows[0].password_hash, current))) {
    throw new AppError('invalid_credentials', 'The current password is incorrect');
  }
  const passwordHash = await hashPassword(next);
  const ended = await ctx.db.transaction(async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [auth.userId, passwordHash]);
    return revokeSessions(tx, auth.userId, auth.sessionId);
  });
  for (const id of ended) ctx.bus.publishSessionRevoked(id);
}

export async function listSessions(ctx: Ctx, auth: { userId: string; sessionId: string }): Promise<Session[]> {
  const { rows } = await ctx.db.query<{ id: string; user_agent: string | null; created_at: Date; last_used_at: Date }>(
    `SELECT id, user_agent, created_at, last_used_at FROM sessions
      WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
      ORDER BY last_used_at DESC`,
    [auth.userId],
  );
  return rows.map((r) => ({
    id: r.id,
    user_agent: r.user_agent,
    created_at: isoNow(r.created_at),
    last_used_at: isoNow(r.last_used_at),
    current: r.id === auth.sessionId,
  }));
}

/** Ends one of the caller's sessions; someone else's session is 404. */
export async function endSession(ctx: Ctx, userId: string, sessionId: string): Promise<void> {
  if (!isUuid(sessionId)) throw notFound('Session not found');
  const { rowCount } = await ctx.db.query(
    'UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
    [sessionId, userId],
  );
  if (rowCount === 0) throw notFound('Session not found');
  ctx.bus.publishSessionRevoked(sessionId);
}

/** Ends every session but the caller's. Returns how many ended. */
export async function endOtherSessions(ctx: Ctx, auth: { userId: string; sessionId: string }): Promise<number> {
  const ended = await ctx.db.transaction((tx) => revokeSessions(tx, auth.userId, auth.sessionId));
  for (const id of ended) ctx.bus.publishSessionRevoked(id);
  return ended.length;
}

/** Throws 403 unless the user is an admin (checked on every request: a demotion takes effect at once). */
export async function requireAdmin(ctx: Ctx, userId: string): Promise<void> {
  const { rows } = await ctx.db.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [userId]);
  if (rows[0]?.role !== 'admin') throw new AppError('forbidden', 'Only administrators may do this');
}

interface AdminUserRow {
  id: string;
  username: string;
  email: string;
  display_name: string;
  avatar_id: string | null;
  role: 'user' | 'admin';
  email_verified_at: Date | null;
  disabled_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
  total: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function adminListUsers(
  ctx: Ctx,
  q: { query: string; limit: number; offset: number },
): Promise<{ users: AdminUser[]; total: number }> {
  const pattern = `%${escapeLike(q.query.toLowerCase())}%`;
  const { rows } = await ctx.db.query<AdminUserRow>(
    `SELECT id, username, email, display_name, avatar_id, role, email_verified_at, disabled_at, last_seen_at, created_at,
            count(*) OVER () AS total
       FROM users
      WHERE $1 = '%%' OR lower(username) LIKE $1 OR lower(email) LIKE $1 OR lower(display_name) LIKE $1
      ORDER BY created_at, id
      LIMIT $2 OFFSET $3`,
    [pattern, q.limit, q.offset],
  );
  return {
    total: rows[0]?.total ?? 0,
    users: rows.map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      display_name: u.display_name,
      avatar_id: u.avatar_id,
      role: u.role,
      email_verified: u.email_verified_at != null,
      disabled: u.disabled_at != null,
      last_seen_at: iso(u.last_seen_at),
      created_at: isoNow(u.created_at),
    })),
  };
}

export async function adminSetDisabled(ctx: Ctx, adminId: string, userId: string, disabled: boolean): Promise<void> {
  if (disabled && userId === adminId) throw new AppError('bad_request', 'You cannot disable your own account');
  await setUserDisabled(ctx, userId, disabled);
}

export async function adminStats(ctx: Ctx): Promise<AdminStats> {
  const { rows } = await ctx.db.query<Omit<AdminStats, 'online_now'>>(
    `SELECT (SELECT count(*) FROM users) AS users,
            (SELECT count(*) FROM users WHERE disabled_at IS NOT NULL) AS disabled_users,
            (SELECT count(*) FROM conversations) AS conversations,
            (SELECT count(*) FROM messages) AS messages`,
  );
  return { ...rows[0]!, online_now: await ctx.presence.countOnline() };
}
