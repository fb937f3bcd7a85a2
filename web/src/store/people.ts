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
 * Profile photos by user id: the photo's id (`GET /api/users/{user}/avatar/{photo}`), or null
 * for initials. Kept from every user the app reads (chats' members, search, profiles, itself),
 * so an avatar anywhere shows the photo the app last heard of.
 */
export const photos = createStore<Record<string, string | null>>({});

export function notePhotos(users: readonly { id: string; avatar_id?: string | null }[]) {
  const known = photos.get();
  const changed = users.filter((u) => known[u.id] !== (u.avatar_id ?? null));
  if (changed.length > 0)
    photos.set((p) => ({ ...p, ...Object.fromEntries(changed.map((u) => [u.id, u.avatar_id ?? null])) }));
}
