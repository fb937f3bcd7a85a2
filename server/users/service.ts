import type { Ctx } from '../context.js';
import type { PublicUser, SelfUser } from '../../protocol/users.js';
import { LIMITS } from '../../protocol/limits.js';
import { notFound } from '../errors.js';
import { isUuid } from '../ids.js';
import { presentPublic, presentSelf, USER_COLUMNS, type UserRow } from './presenter.js';

export async function getMe(ctx: Ctx, userId: string): Promise<SelfUser> {
  const { rows } = await ctx.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  if (!rows[0]) throw notFound('User not found');
  return presentSelf(rows[0]);
}

export async function updateMe(
  ctx: Ctx,
  userId: string,
  input: { displayName?: string; relayOnly?: boolean },
): Promise<SelfUser> {
  // The name before, from the statement's snapshot (not locked FOR UPDATE: the row this very
  // statement updates would then be skipped, and the old name read as NULL).
  const { rows } = await ctx.db.query<UserRow & { old_display_name: string }>(
    `WITH old AS (SELECT display_name FROM users WHERE id = $1)
     UPDATE users SET display_name = COALESCE($2, display_name), relay_only = COALESCE($3, relay_only)
      WHERE id = $1 RETURNING ${USER_COLUMNS}, (SELECT display_name FROM old) AS old_display_name`,
    [userId, input.displayName ?? null, input.relayOnly ?? null],
  );
  const row = rows[0];
  if (!row) throw notFound('User not found');
  const self = presentSelf(row);
  announceSelf(ctx, self);
  if (row.display_name !== row.old_display_name) await announceProfile(ctx, userId);
  return self;
}

/** The user's own devices learn their account's new state at once, chats or none. */
export function announceSelf(ctx: Ctx, self: SelfUser) {
  ctx.bus.publishToUsers([self.id], { type: 'self_updated', payload: self });
}

/**
 * A new display name or photo reaches the open apps of everyone who shares a chat with the user
 * (their own other devices too): each of those chats is announced as changed, and they load it again.
 */
export async function announceProfile(ctx: Ctx, userId: string) {
  const { rows } = await ctx.db.query<{ conversation_id: string; members: string[] }>(
    `SELECT mine.conversation_id, array_agg(m.user_id) AS members
       FROM conversation_members mine JOIN conversation_members m ON m.conversation_id = mine.conversation_id
      WHERE mine.user_id = $1
      GROUP BY mine.conversation_id`,
    [userId],
  );
  for (const r of rows) {
    ctx.bus.publishToUsers(r.members, {
      type: 'conversation_updated',
      payload: { conversation_id: r.conversation_id },
    });
  }
}

/**
 * A user's public columns for the caller ($2): last seen only for someone the caller shares a
 * conversation with, as presence itself goes to contacts only (a stranger could otherwise
 * poll anyone's comings and goings).
 */
const PUBLIC_COLUMNS = `id, username, display_name, avatar_id,
  CASE WHEN EXISTS (SELECT 1 FROM conversation_members mine
                      JOIN conversation_members theirs ON theirs.conversation_id = mine.conversation_id
                     WHERE mine.user_id = $2 AND theirs.user_id = users.id)
       THEN last_seen_at END AS last_seen_at`;

type PublicRow = Pick<UserRow, 'id' | 'username' | 'display_name' | 'avatar_id' | 'last_seen_at'>;

export async function getUser(ctx: Ctx, callerId: string, userId: string): Promise<PublicUser> {
  if (!isUuid(userId)) throw notFound('User not found');
  const { rows } = await ctx.db.query<PublicRow>(
    `SELECT ${PUBLIC_COLUMNS} FROM users WHERE id = $1 AND disabled_at IS NULL`,
    [userId, callerId],
  );
  if (!rows[0]) throw notFound('User not found');
  return presentPublic(rows[0]);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * People whose username or display name begins with the query, or with every word of which a
 * word of their name begins ("mart" and "cleo m" find Cleo Martínez; accents and case do not
 * count: user_name_words), the caller and disabled accounts excluded. The exact username first.
 */
export async function searchUsers(ctx: Ctx, callerId: string, query: string): Promise<PublicUser[]> {
  const prefix = `${escapeLike(query.toLowerCase())}%`;
  // The query's words, folded as the names' words are, each matched as a range of the index.
  const { rows } = await ctx.db.query<PublicRow>(
    `WITH q AS (SELECT array_remove(regexp_split_to_array(fold_name($5::text), '[[:space:][:punct:]]+'), '') AS words)
     SELECT ${PUBLIC_COLUMNS} FROM users
      WHERE (lower(username) LIKE $1 OR lower(display_name) LIKE $1
             OR id IN (SELECT w.user_id FROM q, unnest(q.words) p, user_name_words w
                        WHERE w.word >= p AND w.word < p || chr(1114111)
                        GROUP BY w.user_id HAVING count(DISTINCT p) = (SELECT cardinality(words) FROM q)))
        AND id <> $2 AND disabled_at IS NULL
      ORDER BY lower(username) = $3 DESC, lower(username)
      LIMIT $4`,
    [prefix, callerId, query.toLowerCase(), LIMITS.userSearchLimit, query],
    // Run at every search's first page (and each keystroke of the people picker): planned once
    // per connection (planning it took 0.18 ms here, running it 0.06).
    { name: 'search_users' },
  );
  return rows.map(presentPublic);
}

/**
 * Disables (or re-enables) an account. Disabling ends every session at once: the refresh
 * tokens stop working, every request with an old access token is refused, and live sockets on
 * every node close with 4403.
 */
export async function setUserDisabled(ctx: Ctx, userId: string, disabled: boolean): Promise<void> {
  if (!isUuid(userId)) throw notFound('User not found');
  const { rowCount } = await ctx.db.transaction(async (tx) => {
    const r = await tx.query(
      `UPDATE users SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END WHERE id = $1`,
      [userId, disabled],
    );
    if (disabled)
      await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return r;
  });
  if (rowCount === 0) throw notFound('User not found');
  if (disabled) ctx.bus.publishUserDisabled(userId);
}
