import { createStore } from './store';

const KEY = 'chatify.drafts';

function load(): Record<string, string> {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    if (!saved || typeof saved !== 'object') return {};
    return Object.fromEntries(Object.entries(saved).filter(([, v]) => typeof v === 'string' && v !== ''));
  } catch {
    return {};
  }
}

/** What was typed and not sent, by conversation: kept on this device across reloads, shown in the chat list. */
export const drafts = createStore<Record<string, string>>(load());

export function setDraft(conversationId: string, text: string) {
  drafts.set((all) => {
    if ((all[conversationId] ?? '') === text) return all;
    const next = { ...all };
    if (text) next[conversationId] = text;
    else delete next[conversationId];
    return next;
  });
  localStorage.setItem(KEY, JSON.stringify(drafts.get()));
}

export const draftOf = (conversationId: string) => drafts.get()[conversationId] ?? '';

/** Signed out: the drafts go too (this device may be someone else's next). */
export function resetDrafts() {
  drafts.set(() => ({}));
  localStorage.removeItem(KEY);
}
