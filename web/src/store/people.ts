import type { PublicUser } from '../../../protocol/users.js';
import { api, ApiError } from '../api/rest';
import { createStore } from './store';

/**
 * Display names of people a chat shows who are not among its members any more (they left or
 * were removed, and their messages stay): fetched once each, on first sight.
 */
export const people = createStore<Record<string, string>>({});

const asked = new Set<string>();
/** After a failure other than "no such user" (offline, say), when to ask again. */
const RETRY_MS = 30_000;

/** The name of user `id` if known; otherwise undefined, and it is fetched (the store then changes). */
export function personName(id: string): string | undefined {
  const known = people.get()[id];
  if (known !== undefined || asked.has(id)) return known;
  asked.add(id);
  void api.get<PublicUser>(`/api/users/${encodeURIComponent(id)}`).then(
    (u) => {
      notePhotos([u]);
      people.set((p) => ({ ...p, [id]: u.display_name }));
    },
    // A disabled account stays "Someone"; anything else is asked again later.
    (err) => {
      if (!(err instanceof ApiError && err.status === 404)) setTimeout(() => asked.delete(id), RETRY_MS);
    },
  );
  return undefined;
}

/**
 * Names seen in a chat's members: a person known here (from another chat they have left) keeps
 * up with a new display name, rather than show the old one there until a reload.
 */
export function notePeople(members: readonly { id: string; display_name: string; avatar_id?: string | null }[]) {
  notePhotos(members);
  const known = people.get();
  const changed = members.filter((m) => known[m.id] !== undefined && known[m.id] !== m.display_name);
  if (changed.length > 0)
    people.set((p) => ({ ...p, ...Object.fromEntries(changed.map((m) => [m.id, m.display_name])) }));
}

/**
 * Photos by user or group id: the path of the photo (`GET /api/users/{user}/avatar/{photo}`,
 * `GET /api/conversations/{group}/avatar/{photo}`), or null for initials. Kept from every user
 * and group the app reads (chats and their members, search, profiles, itself), so an avatar
 * anywhere shows the photo the app last heard of.
 */
export const photos = createStore<Record<string, string | null>>({});

const photoPath = (kind: 'users' | 'conversations', id: string, photoId: string | null | undefined) =>
  photoId ? `/api/${kind}/${encodeURIComponent(id)}/avatar/${encodeURIComponent(photoId)}` : null;

function notePaths(entries: [string, string | null][]) {
  const known = photos.get();
  const changed = entries.filter(([id, path]) => known[id] !== path);
  if (changed.length > 0) photos.set((p) => ({ ...p, ...Object.fromEntries(changed) }));
}

export const notePhotos = (users: readonly { id: string; avatar_id?: string | null }[]) =>
  notePaths(users.map((u) => [u.id, photoPath('users', u.id, u.avatar_id)]));

/** Groups' photos (a one-to-one chat shows the other member's). */
export const noteGroupPhotos = (chats: readonly { id: string; type: string; avatar_id?: string | null }[]) =>
  notePaths(chats.filter((c) => c.type === 'group').map((c) => [c.id, photoPath('conversations', c.id, c.avatar_id)]));
