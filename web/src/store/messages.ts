import type { Attachment, Message, ReplyPreview } from '../../../protocol/messages.js';
import { api } from '../api/rest';
import { createStore } from './store';
import type { Conversation } from '../../../protocol/conversations.js';
import { conversations, upsertConversation } from './conversations';
import { cursorOf, resetCursors } from './cursors';

export interface Thread {
  items: Message[];
  hasOlder: boolean;
  loaded: boolean;
  /**
   * The thread holds a window in the middle of the history (opened at a search result):
   * newer messages exist on the server but are not loaded; live ones wait for `loadNewer`.
   */
  hasNewer?: boolean;
  /** Bumped whenever the items are replaced rather than extended (the list starts afresh). */
  version?: number;
}

/** "Show message `seq` of this conversation": set before opening it, consumed by the view. */
export interface Focus {
  conversationId: string;
  seq: number;
  nonce: number;
}

/** An own message not yet acknowledged: shown with a clock, or "Retry" once it failed. */
export interface Pending {
  user_id: string;
  client_id: string;
  conversation_id: string;
  content: string;
  created_at: string;
  status: 'sending' | 'failed';
  error?: string;
  message_type: 'text' | 'image' | 'file';
  /** The uploaded file (already stored on the server) this message carries. */
  attachment: Attachment | null;
  /** The message this one answers, as the quote shows it. */
  reply_to: ReplyPreview | null;
}

/** What a send carries besides its text. */
export interface SendExtras {
  attachment?: Attachment | null;
  replyTo?: ReplyPreview | null;
}

export interface MessagesState {
  threads: Record<string, Thread>;
  outbox: Pending[];
  focus?: Focus | null;
}

const PAGE = 50;
const OUTBOX_KEY = 'chatify.outbox';

export const messages = createStore<MessagesState>({ threads: {}, outbox: loadOutbox() });
messages.subscribe(() => localStorage.setItem(OUTBOX_KEY, JSON.stringify(messages.get().outbox)));

function loadOutbox(): Pending[] {
  try {
    const list = JSON.parse(localStorage.getItem(OUTBOX_KEY) ?? '[]') as Pending[];
    // Entries queued by an older version of the app lack the rich fields.
    return list.map((p) => ({
      ...p,
      message_type: p.message_type ?? 'text',
      attachment: p.attachment ?? null,
      reply_to: p.reply_to ?? null,
      status: 'sending' as const,
    }));
  } catch {
    return [];
  }
}

/**
 * The outbox without the sends that these stored messages are (same sender and client_id):
 * a page fetched while a send's answer is on its way may already hold it.
 */
function settle(outbox: Pending[], stored: Message[]): Pending[] {
  if (outbox.length === 0 || stored.length === 0) return outbox;
  const keys = new Set(stored.map((m) => `${m.sender_id}:${m.client_id}`));
  return outbox.some((p) => keys.has(`${p.user_id}:${p.client_id}`))
    ? outbox.filter((p) => !keys.has(`${p.user_id}:${p.client_id}`))
    : outbox;
}

/** Merges by seq; of two states of one message the one with the higher change_seq wins. */
const mergeBySeq = (a: Message[], b: Message[]) => {
  const bySeq = new Map(a.map((m) => [m.seq, m]));
  for (const m of b) {
    const held = bySeq.get(m.seq);
    if (!held || held.id !== m.id || m.change_seq >= held.change_seq) bySeq.set(m.seq, m);
  }
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
};

/** What a quote of `m` shows (the server cuts the text to 200 characters too). */
export const previewOf = (m: Message): ReplyPreview => ({
  id: m.id,
  seq: m.seq,
  sender_id: m.sender_id,
  content: m.deleted_at ? '' : m.content.slice(0, 200),
  message_type: m.message_type,
  deleted: m.deleted_at !== null,
  filename: m.deleted_at ? null : (m.attachment?.filename ?? null),
});

/**
 * Puts the new state of changed messages (edited, deleted, reacted to) into a loaded thread,
 * keeping whichever state is newer by change_seq, and refreshes the quotes of their replies.
 * Messages the thread does not hold are left for whenever their page is loaded.
 */
export function applyUpdates(conversationId: string, updates: Message[]) {
  if (updates.length === 0) return;
  messages.set((s) => {
    const thread = s.threads[conversationId];
    if (!thread?.loaded) return s;
    const byId = new Map(updates.map((u) => [u.id, u]));
    let changed = false;
    const items = thread.items.map((m) => {
      let next = m;
      const u = byId.get(m.id);
      if (u && u.change_seq >= m.change_seq && u !== m) next = u;
      const quoted = next.reply_to && byId.get(next.reply_to.id);
      if (quoted && next.reply_to) {
        const preview = previewOf(quoted);
        if (preview.content !== next.reply_to.content || preview.deleted !== next.reply_to.deleted)
          next = { ...next, reply_to: preview };
      }
      if (next !== m) changed = true;
      return next;
    });
    return changed ? { ...s, threads: { ...s.threads, [conversationId]: { ...thread, items } } } : s;
  });
}

/** A reaction toggled here before the server confirms it (the confirmed state replaces it). */
export function replaceLocally(m: Message) {
  messages.set((s) => {
    const thread = s.threads[m.conversation_id];
    if (!thread?.loaded || !thread.items.some((x) => x.id === m.id)) return s;
    const items = thread.items.map((x) => (x.id === m.id ? m : x));
    return { ...s, threads: { ...s.threads, [m.conversation_id]: { ...thread, items } } };
  });
}

/** The held state of a message in a loaded thread. */
export const heldMessage = (conversationId: string, id: string) =>
  messages.get().threads[conversationId]?.items.find((m) => m.id === id);

/**
 * Merges messages into a loaded thread by seq (no duplicates, in order) and settles the
 * matching pending sends. Threads never opened keep nothing: opening loads them whole.
 */
export function addMessages(conversationId: string, incoming: Message[]) {
  if (incoming.length === 0) return;
  messages.set((s) => {
    const thread = s.threads[conversationId];
    const outbox = settle(s.outbox, incoming);
    if (!thread?.loaded) return outbox === s.outbox ? s : { ...s, outbox };
    // A window in the middle keeps only what joins it; the rest is paged in by `loadNewer`.
    const last = thread.items.at(-1)?.seq ?? 0;
    const kept = thread.hasNewer ? incoming.filter((m) => m.seq <= last) : incoming;
    if (kept.length === 0) return outbox === s.outbox ? s : { ...s, outbox };
    return {
      ...s,
      threads: { ...s.threads, [conversationId]: { ...thread, items: mergeBySeq(thread.items, kept) } },
      outbox,
    };
  });
}

/** The newest seq a loaded thread holds (0 when not loaded). */
export const lastSeqOf = (conversationId: string) => messages.get().threads[conversationId]?.items.at(-1)?.seq ?? 0;

/** Fetches everything after `afterSeq`, page by page, cursoring on what each page returned. */
export async function fetchAfter(conversationId: string, afterSeq: number) {
  let after = afterSeq;
  for (;;) {
    const { messages: page } = await api.get<{ messages: Message[] }>(
      `/api/conversations/${conversationId}/messages?after_seq=${after}&limit=100`,
    );
    addMessages(conversationId, page);
    if (page.length < 100) return;
    after = page.at(-1)!.seq;
  }
}

/**
 * Loads the newest page the first time a conversation opens. A thread left on a window in
 * the middle (after a search) starts again at the latest, unless a search result is opening.
 */
export async function openThread(conversationId: string, focusing = false) {
  const { threads, focus } = messages.get();
  const thread = threads[conversationId];
  if (thread?.loaded && (!thread.hasNewer || focusing || focus?.conversationId === conversationId)) return;
  await loadLatest(conversationId);
}

/**
 * The change cursor must be known before a page is fetched, so that it is no newer than what
 * the page holds. The fresh conversation list seeds it; a thread opened from the cached list
 * before the fresh one arrived asks for its conversation first.
 */
async function ensureCursor(conversationId: string) {
  if (cursorOf(conversationId) === undefined)
    upsertConversation(await api.get<Conversation>(`/api/conversations/${conversationId}`));
}

/** Replaces the thread with its newest page (also how "jump to latest" leaves a window). */
export async function loadLatest(conversationId: string) {
  await ensureCursor(conversationId);
  const { messages: page } = await api.get<{ messages: Message[] }>(
    `/api/conversations/${conversationId}/messages?limit=${PAGE}`,
  );
  const items = page.reverse();
  messages.set((s) => {
    const old = s.threads[conversationId];
    // Keep what is already loaded when it joins the new page; a window is dropped.
    const merged = old?.hasNewer ? items : mergeBySeq(old?.items ?? [], items);
    return {
      ...s,
      outbox: settle(s.outbox, items),
      threads: {
        ...s.threads,
        [conversationId]: {
          items: merged,
          loaded: true,
          hasOlder: (merged[0]?.seq ?? 1) > 1,
          hasNewer: false,
          version: (old?.version ?? 0) + (old?.hasNewer ? 1 : 0),
        },
      },
    };
  });
  // Messages that arrived live while the page was loading were not kept: fetch them.
  const known = conversations.get().byId[conversationId]?.last_seq ?? 0;
  if (known > lastSeqOf(conversationId)) await fetchAfter(conversationId, lastSeqOf(conversationId));
}

const loadingOlder = new Set<string>();

/** The page before the oldest loaded message; one load per conversation at a time. */
export async function loadOlder(conversationId: string): Promise<void> {
  const thread = messages.get().threads[conversationId];
  const first = thread?.items[0];
  if (!thread?.loaded || !thread.hasOlder || !first || loadingOlder.has(conversationId)) return;
  loadingOlder.add(conversationId);
  try {
    const { messages: page } = await api.get<{ messages: Message[] }>(
      `/api/conversations/${conversationId}/messages?before_seq=${first.seq}&limit=${PAGE}`,
    );
    messages.set((s) => {
      const t = s.threads[conversationId]!;
      const items = mergeBySeq(t.items, page);
      return {
        ...s,
        outbox: settle(s.outbox, page),
        threads: { ...s.threads, [conversationId]: { ...t, items, hasOlder: (items[0]?.seq ?? 1) > 1 } },
      };
    });
  } finally {
    loadingOlder.delete(conversationId);
  }
}

const loadingNewer = new Set<string>();

/** The page after the newest loaded message of a window; one load per conversation at a time. */
export async function loadNewer(conversationId: string): Promise<void> {
  const thread = messages.get().threads[conversationId];
  const last = thread?.items.at(-1);
  if (!thread?.loaded || !thread.hasNewer || !last || loadingNewer.has(conversationId)) return;
  loadingNewer.add(conversationId);
  try {
    const { messages: page } = await api.get<{ messages: Message[] }>(
      `/api/conversations/${conversationId}/messages?after_seq=${last.seq}&limit=${PAGE}`,
    );
    messages.set((s) => {
      const t = s.threads[conversationId]!;
      return {
        ...s,
        outbox: settle(s.outbox, page),
        threads: {
          ...s.threads,
          [conversationId]: { ...t, items: mergeBySeq(t.items, page), hasNewer: page.length === PAGE },
        },
      };
    });
  } finally {
    loadingNewer.delete(conversationId);
  }
  // Reached the end: anything that arrived live meanwhile was not kept, so fetch it.
  if (!messages.get().threads[conversationId]?.hasNewer) {
    const known = conversations.get().byId[conversationId]?.last_seq ?? 0;
    if (known > lastSeqOf(conversationId)) await fetchAfter(conversationId, lastSeqOf(conversationId));
  }
}

let focusNonce = 0;

/**
 * Makes sure message `seq` is loaded (a window of pages around it when it is not), then asks
 * the conversation view to show and highlight it.
 */
export async function focusMessage(conversationId: string, seq: number): Promise<void> {
  const thread = messages.get().threads[conversationId];
  const has = thread?.loaded && thread.items.some((m) => m.seq === seq);
  if (!has) {
    await ensureCursor(conversationId);
    const after = Math.max(0, seq - Math.floor(PAGE / 2) - 1);
    const { messages: page } = await api.get<{ messages: Message[] }>(
      `/api/conversations/${conversationId}/messages?after_seq=${after}&limit=${PAGE}`,
    );
    const items = mergeBySeq([], page);
    messages.set((s) => {
      const old = s.threads[conversationId];
      return {
        ...s,
        outbox: settle(s.outbox, page),
        threads: {
          ...s.threads,
          [conversationId]: {
            items,
            loaded: true,
            hasOlder: (items[0]?.seq ?? 1) > 1,
            hasNewer: page.length === PAGE,
            version: (old?.version ?? 0) + 1,
          },
        },
      };
    });
  }
  messages.set((s) => ({ ...s, focus: { conversationId, seq, nonce: ++focusNonce } }));
}

/** The view has shown the focused message. */
export function clearFocus() {
  messages.set((s) => (s.focus ? { ...s, focus: null } : s));
}

/** Forgets everything of the signed-out user, queued messages included. */
export function resetMessages() {
  messages.set(() => ({ threads: {}, outbox: [], focus: null }));
  localStorage.removeItem(OUTBOX_KEY);
  resetCursors();
}
