import type { Conversation, Member } from '../../../protocol/conversations.js';
import type { Message, Receipt } from '../../../protocol/messages.js';
import { api, ApiError } from '../api/rest';
import { createStore } from './store';
import { seedPresence } from './presence';
import { noteGroupPhotos, notePeople } from './people';
import { seedCursor } from './cursors';
import { showToast } from './toast';

export interface ConversationsState {
  byId: Record<string, Conversation>;
  loaded: boolean;
}

export const conversations = createStore<ConversationsState>({ byId: {}, loaded: false });

const CACHE_KEY = 'chatify.conversations';

/** First paint from the last list this browser saw; fresh data replaces it. */
export function paintFromCache(userId: string) {
  try {
    const cached = JSON.parse(localStorage.getItem(CACHE_KEY) ?? 'null') as {
      userId: string;
      list: Conversation[];
    } | null;
    if (cached?.userId !== userId) return;
    conversations.set((s) => ({ ...s, byId: indexById(cached.list) }));
    noteGroupPhotos(cached.list);
  } catch {
    /* a broken cache is only a slower first paint */
  }
}

/**
 * Whole-conversation changes made here (a copy fetched alone, a conversation dropped), counted;
 * by conversation, the count at its last. A list asked for before such a change is older than it.
 */
let copies = 0;
const copiedAt = new Map<string, number>();
const noteCopy = (id: string) => copiedAt.set(id, ++copies);

export async function loadConversations() {
  const gen = generation;
  const askedAt = copies;
  const { conversations: list } = await api.get<{ conversations: Conversation[] }>('/api/conversations');
  if (gen !== generation) return []; // signed out meanwhile: the previous account's list
  seedPresence(list.flatMap((c) => c.members));
  notePeople(list.flatMap((c) => c.members));
  for (const c of list) seedCursor(c.id, c.last_change_seq);
  const newer = (id: string) => (copiedAt.get(id) ?? 0) > askedAt;
  conversations.set((s) => {
    const byId: Record<string, Conversation> = {};
    // A conversation fetched alone, or dropped, while the list was on its way is as it was
    // then (members, title); the list's copy of the others may still be behind a live event.
    for (const c of list) {
      const held = s.byId[c.id];
      if (!newer(c.id)) byId[c.id] = keepNewer(c, held);
      else if (held) byId[c.id] = held;
    }
    for (const [id, held] of Object.entries(s.byId)) if (!byId[id] && newer(id)) byId[id] = held;
    return { byId, loaded: true };
  });
  noteGroupPhotos(Object.values(conversations.get().byId));
  if (api.user) localStorage.setItem(CACHE_KEY, JSON.stringify({ userId: api.user.id, list: list.slice(0, 50) }));
  return list;
}

/** Groups this person is leaving here (their going from the list is no news). */
const leaving = new Set<string>();

/** Leaves a group: it goes from the list as soon as the server has taken the leave. */
export async function leaveGroup(id: string) {
  leaving.add(id);
  try {
    await api.del(`/api/conversations/${id}/members/me`);
    dropConversation(id);
  } finally {
    leaving.delete(id);
  }
}

function dropConversation(id: string) {
  noteCopy(id);
  conversations.set((s) => {
    const byId = { ...s.byId };
    delete byId[id];
    return { ...s, byId };
  });
}

/** The timer of a refresh that failed and will run again, by conversation. */
const retries = new Map<string, ReturnType<typeof setTimeout>>();
/** Signing out bumps it: a refresh of the previous account that ends later is ignored. */
let generation = 0;
const REFRESH_RETRIES = 3;
const REFRESH_RETRY_MS = 1000;

/**
 * Fetches one conversation afresh (a new one, a rename, members changed). A 404 means it is
 * not ours any more (removed, or left): it leaves the list. Any other failure (offline, the
 * server busy) leaves it as it is and tries again after 1, 2 and 4 s; the whole list is also
 * fetched afresh on reconnect. A new call replaces a pending retry and starts the count again.
 */
export function refreshConversation(id: string): Promise<void> {
  return attemptRefresh(id, REFRESH_RETRIES);
}

async function attemptRefresh(id: string, retriesLeft: number): Promise<void> {
  clearTimeout(retries.get(id));
  retries.delete(id);
  const gen = generation;
  let fresh: Conversation;
  try {
    fresh = await api.get<Conversation>(`/api/conversations/${id}`);
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof ApiError && err.status === 404) {
      const gone = conversations.get().byId[id];
      dropConversation(id);
      // A group that went without this person leaving it here (removed, or left on another
      // device): say so, rather than let it vanish.
      if (gone?.type === 'group' && !leaving.has(id))
        showToast(`You are no longer a member of ${gone.title ?? 'this group'}`);
    } else if (retriesLeft > 0 && !retries.has(id)) {
      const delay = REFRESH_RETRY_MS * 2 ** (REFRESH_RETRIES - retriesLeft);
      retries.set(
        id,
        setTimeout(() => void attemptRefresh(id, retriesLeft - 1), delay),
      );
    }
    return;
  }
  if (gen !== generation) return;
  upsertConversation(fresh);
}

export function upsertConversation(c: Conversation) {
  seedPresence(c.members);
  notePeople(c.members);
  seedCursor(c.id, c.last_change_seq);
  noteCopy(c.id);
  conversations.set((s) => ({ ...s, byId: { ...s.byId, [c.id]: keepNewer(c, s.byId[c.id]) } }));
  noteGroupPhotos([conversations.get().byId[c.id]!]);
}

/**
 * A fresh copy of a conversation, less anything it is behind what is held: it was read on the
 * server before a live event that already came (a read receipt, a new message), which it must
 * not undo. Seqs and watermarks only grow on the server, so the larger is the newer. Members,
 * titles and presence are the fresh copy's.
 */
export function keepNewer(fresh: Conversation, held: Conversation | undefined): Conversation {
  if (!held) return fresh;
  const heldMembers = new Map(held.members.map((m) => [m.id, m]));
  const newerLast =
    held.last_message &&
    (!fresh.last_message ||
      held.last_message.seq > fresh.last_message.seq ||
      (held.last_message.id === fresh.last_message.id && held.last_message.change_seq > fresh.last_message.change_seq));
  return {
    ...fresh,
    members: fresh.members.map((m) => {
      const h = heldMembers.get(m.id);
      return h ? advance(m, h.delivered_seq, h.read_seq) : m;
    }),
    last_message: newerLast ? held.last_message : fresh.last_message,
    last_seq: Math.max(fresh.last_seq, held.last_seq),
    last_change_seq: Math.max(fresh.last_change_seq, held.last_change_seq),
    last_activity_at: held.last_activity_at > fresh.last_activity_at ? held.last_activity_at : fresh.last_activity_at,
  };
}

/** A new message moves the conversation's last message, seq and activity. */
export function applyMessage(m: Message) {
  const c = conversations.get().byId[m.conversation_id];
  if (!c) return void refreshConversation(m.conversation_id);
  if (m.seq <= c.last_seq && c.last_message && c.last_message.seq >= m.seq) return;
  // The server records a sender as having received and read everything up to their message
  // (a reply read offline sends no read receipt): the ticks of what came before it move too.
  const members = c.members.map((x) => (x.id === m.sender_id ? advance(x, m.seq, m.seq) : x));
  replaceConversation({
    ...c,
    members,
    last_seq: Math.max(c.last_seq, m.seq),
    last_message: !c.last_message || m.seq >= c.last_message.seq ? m : c.last_message,
    last_activity_at: m.created_at > c.last_activity_at ? m.created_at : c.last_activity_at,
  });
}

/** An edit, delete or reaction of the conversation's last message changes its preview. */
export function applyMessageUpdate(m: Message) {
  const c = conversations.get().byId[m.conversation_id];
  if (!c?.last_message || c.last_message.id !== m.id || m.change_seq < c.last_message.change_seq) return;
  replaceConversation({ ...c, last_message: m });
}

export function applyReceipt(r: Receipt) {
  const c = conversations.get().byId[r.conversation_id];
  if (!c) return;
  replaceConversation({
    ...c,
    members: c.members.map((x) => (x.id === r.user_id ? advance(x, r.delivered_seq, r.read_seq) : x)),
  });
}

/** Local changes to a conversation we already hold (no fresh presence in them). */
function replaceConversation(c: Conversation) {
  conversations.set((s) => ({ ...s, byId: { ...s.byId, [c.id]: c } }));
}

const advance = (m: Member, delivered: number, read: number): Member => ({
  ...m,
  delivered_seq: Math.max(m.delivered_seq, delivered),
  read_seq: Math.max(m.read_seq, read),
});

/** Unread is derived: the conversation's last seq minus my read watermark. */
export function unreadCount(c: Conversation, myId: string): number {
  const me = c.members.find((m) => m.id === myId);
  return Math.max(0, c.last_seq - (me ? me.read_seq : c.last_seq - c.unread_count));
}

export function sortedConversations(byId: Record<string, Conversation>): Conversation[] {
  return Object.values(byId).sort((a, b) => (a.last_activity_at < b.last_activity_at ? 1 : -1));
}

/**
 * The list in the order `held` (ids) had, so that no row moves under the pointer: chats not in
 * `held` (new ones) go below them, newest first, until the list is sorted again. Their
 * content still updates.
 */
export function inHeldOrder(sorted: Conversation[], held: readonly string[]): Conversation[] {
  const at = new Map(held.map((id, i) => [id, i]));
  const fresh = sorted.filter((c) => !at.has(c.id));
  const kept = sorted.filter((c) => at.has(c.id)).sort((a, b) => at.get(a.id)! - at.get(b.id)!);
  return [...kept, ...fresh];
}

export function resetConversations() {
  generation++;
  for (const timer of retries.values()) clearTimeout(timer);
  retries.clear();
  copiedAt.clear();
  conversations.set(() => ({ byId: {}, loaded: false }));
  localStorage.removeItem(CACHE_KEY);
}

const indexById = (list: Conversation[]) => Object.fromEntries(list.map((c) => [c.id, c]));
