import type { PublicUser, SelfUser } from '../../protocol/users.js';
import { iso, isoNow } from '../ids.js';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  display_name: string;
  avatar_id: string | null;
  email_verified_at: Date | null;
  relay_only: boolean;
  role: 'user' | 'admin';
  last_seen_at: Date | null;
  created_at: Date;
}

/** The only path from a users row to JSON: the password hash can never leak through here. */
export const presentSelf = (u: UserRow): SelfUser => ({
  id: u.id,
  username: u.username,
  email: u.email,
  display_name: u.display_name,
  avatar_id: u.avatar_id,
  email_verified: u.email_verified_at != null,
  relay_only: u.relay_only,
  role: u.role,
  created_at: isoNow(u.created_at),
});

export const presentPublic = (
  u: Pick<UserRow, 'id' | 'username' | 'display_name' | 'avatar_id' | 'last_seen_at'>,
): PublicUser => ({
  id: u.id,
  username: u.username,
  display_name: u.display_name,
  avatar_id: u.avatar_id,
  last_seen_at: iso(u.last_seen_at),
});

export const USER_COLUMNS =
  'id, username, email, display_name, avatar_id, email_verified_at, relay_only, role, last_seen_at, created_at';
