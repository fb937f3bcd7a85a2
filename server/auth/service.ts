import type { Ctx } from '../context.js';
import type { AuthResponse, LoginBody, RegisterBody } from '../../protocol/auth.js';
import { AppError, forbidden } from '../errors.js';
import { isUuid } from '../ids.js';
import { isUniqueViolation, type Queryable } from '../db/client.js';
import { presentSelf, USER_COLUMNS, type UserRow } from '../users/presenter.js';
import { checkLoginAllowed, clearLoginFailures, recordLoginFailure } from './throttle.js';
import { queueEmailToken } from '../accounts/service.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import {
  hashMatches,
  newRefreshSecret,
  parseRefreshToken,
  signAccessToken,
  tokenKeys,
  verifyAccessToken,
  type AccessClaims,
} from './tokens.js';

export interface ClientMeta {
  userAgent?: string;
  /** The client's address (behind a proxy, only with TRUST_PROXY). */
  ip?: string;
}

// Any constant: serializes registrations so exactly one account is the first.
const REGISTER_LOCK = 727_274_002;

const keysOf = (ctx: Ctx) => tokenKeys(ctx.config.JWT_SECRET, ctx.config.ACCESS_TOKEN_TTL_SECONDS);

const invalidCredentials = () => new AppError('invalid_credentials', 'Email or password is incorrect');
const invalidRefresh = () => new AppError('unauthorized', 'Refresh token is invalid or expired');

export async function register(ctx: Ctx, input: RegisterBody, meta: ClientMeta): Promise<AuthResponse> {
  const passwordHash = await hashPassword(input.password);
  try {
    const response = await ctx.db.transaction(async (tx) => {
      // The first account is an admin: registrations take turns deciding who is first.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [REGISTER_LOCK]);
      const { rows } = await tx.query<UserRow>(
        `INSERT INTO users (username, email, password_hash, display_name, role)
         VALUES ($1, $2, $3, $4,
                 CASE WHEN NOT EXISTS (SELECT 1 FROM users) OR lower($2) = ANY($5::text[]) THEN 'admin' ELSE 'user' END)
         RETURNING ${USER_COLUMNS}`,
        [
          input.username,
          input.email,
          passwordHash,
          input.display_name ?? input.username,
          ctx.config.ADMIN_EMAILS.map((e) => e.toLowerCase()),
        ],
      );
      const user = rows[0]!;
      await queueEmailToken(ctx, tx, user, 'verify_email');
      return issueSession(ctx, tx, user, meta);
    });
    ctx.jobs.poke();
    return response;
  } catch (err) {
    if (isUniqueViolation(err, 'users_username_key')) {
      throw new AppError('conflict', 'That username is taken', [{ path: 'username', message: 'is taken' }]);
    }
    if (isUniqueViolation(err, 'users_email_key')) {
      throw new AppError('conflict', 'An account with that email exists', [{ path: 'email', message: 'is taken' }]);
    }
    throw err;
  }
}

/**
 * Unknown account and wrong password give the same error after the same amount of work.
 * Failures are counted per account name and per address (see throttle.ts). A disabled account
 * is told so, but only with its right password: the answer then tells nobody anything they did
 * not know, and its owner knows not to try "Forgot password?".
 */
export async function login(ctx: Ctx, input: LoginBody, meta: ClientMeta): Promise<AuthResponse> {
  await checkLoginAllowed(ctx, input.email, meta.ip ?? '');
  const { rows } = await ctx.db.query<UserRow & { password_hash: string; disabled_at: Date | null }>(
    `SELECT ${USER_COLUMNS}, password_hash, disabled_at FROM users
      WHERE lower(email) = lower($1) OR lower(username) = lower($1)
      ORDER BY lower(email) = lower($1) DESC LIMIT 1`,
    [input.email],
  );
  const user = rows[0];
  const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
  if (!user || !ok) {
    await recordLoginFailure(ctx, input.email, meta.ip ?? '');
    throw invalidCredentials();
  }
  if (user.disabled_at) throw forbidden('This account has been disabled. An administrator can enable it again.');
  await clearLoginFailures(ctx, input.email);
  return ctx.db.transaction((tx) => issueSession(ctx, tx, user, meta));
}

async function issueSession(ctx: Ctx, tx: Queryable, user: UserRow, meta: ClientMeta): Promise<AuthResponse> {
  const { secret, hash } = newRefreshSecret();
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO sessions (user_id, refresh_token_hash, user_agent, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(days => $4)) RETURNING id`,
    [user.id, hash, meta.userAgent?.slice(0, 256) ?? null, ctx.config.REFRESH_TOKEN_TTL_DAYS],
  );
  const sessionId = rows[0]!.id;
  return {
    token: signAccessToken(keysOf(ctx), { userId: user.id, sessionId }),
    refresh_token: `${sessionId}.${secret}`,
    expires_in: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
    user: presentSelf(user),
  };
}

interface SessionRow {
  id: string;
  user_id: string;
  refresh_token_hash: string;
  expired: boolean;
  revoked_at: Date | null;
  disabled_at: Date | null;
}

/**
 * Rotates a refresh token: the presented one is spent and a new pair returned. A token that
 * was already spent means it leaked (or a client raced itself): the whole session is revoked.
 */
export async function refresh(ctx: Ctx, refreshToken: string, meta: ClientMeta): Promise<AuthResponse> {
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed || !isUuid(parsed.sessionId)) throw invalidRefresh();
  const result = await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<SessionRow & UserRow>(
      `SELECT s.id AS session_id, s.refresh_token_hash, s.expires_at < now() AS expired, s.revoked_at,
              u.disabled_at, u.${USER_COLUMNS.split(', ').join(', u.')}
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 FOR UPDATE OF s`,
      [parsed.sessionId],
    );
    const row = rows[0];
    if (!row || row.revoked_at || row.expired || row.disabled_at) return { revoked: false, response: null };
    if (!hashMatches(parsed.secret, row.refresh_token_hash)) {
      await tx.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [parsed.sessionId]);
      return { revoked: true, userId: row.id, response: null };
    }
    const next = newRefreshSecret();
    await tx.query(
      `UPDATE sessions SET refresh_token_hash = $2, generation = generation + 1, last_used_at = now(),
              user_agent = COALESCE($3, user_agent)
        WHERE id = $1`,
      [parsed.sessionId, next.hash, meta.userAgent?.slice(0, 256) ?? null],
    );
    const response: AuthResponse = {
      token: signAccessToken(keysOf(ctx), { userId: row.id, sessionId: parsed.sessionId }),
      refresh_token: `${parsed.sessionId}.${next.secret}`,
      expires_in: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
      user: presentSelf(row),
    };
    return { revoked: false, response };
  });
  if (result.revoked) {
    ctx.log.warn({ sessionId: parsed.sessionId }, 'spent refresh token presented; session revoked');
    ctx.bus.publishSessionRevoked(parsed.sessionId);
  }
  if (!result.response) throw invalidRefresh();
  return result.response;
}

/** Ends one session; its refresh token stops working and its live sockets close. */
export async function revokeSession(ctx: Ctx, sessionId: string): Promise<void> {
  await ctx.db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
  ctx.bus.publishSessionRevoked(sessionId);
}

/** Logout by refresh token (works after the access token expired). Unknown tokens are ignored. */
export async function logoutWithRefreshToken(ctx: Ctx, refreshToken: string): Promise<void> {
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed || !isUuid(parsed.sessionId)) return;
  const { rows } = await ctx.db.query<{ refresh_token_hash: string }>(
    'SELECT refresh_token_hash FROM sessions WHERE id = $1',
    [parsed.sessionId],
  );
  if (rows[0] && hashMatches(parsed.secret, rows[0].refresh_token_hash)) await revokeSession(ctx, parsed.sessionId);
}

/**
 * Whether a session can still be used (not revoked or expired, user enabled): from this node's
 * cache of sessions it recently found live, which every revocation clears (decision 018), or
 * from the database.
 */
export async function isSessionLive(ctx: Ctx, sessionId: string, userId: string): Promise<boolean> {
  if (ctx.sessions.isLive(sessionId, userId)) return true;
  const remember = ctx.sessions.begin(sessionId, userId);
  const { rows } = await ctx.db.query<{ expires_at: Date }>(
    `SELECT s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [sessionId, userId],
  );
  if (!rows[0]) return false;
  remember(rows[0].expires_at);
  return true;
}

/**
 * Verifies an access token and that its session is live and its user enabled, so logout and
 * disabling take effect at once rather than when the token expires.
 */
export async function authenticate(ctx: Ctx, token: string): Promise<AccessClaims> {
  const claims = verifyAccessToken(keysOf(ctx), token);
  if (!isUuid(claims.sessionId) || !isUuid(claims.userId)) throw new AppError('unauthorized', 'Invalid access token');
  if (!(await isSessionLive(ctx, claims.sessionId, claims.userId))) {
    throw new AppError('unauthorized', 'Session has ended; sign in again');
  }
  return claims;
}
