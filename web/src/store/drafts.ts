import { createStore } from './store';

const KEY = 'chatify.drafts';

/** The drafts saved on this device, by any tab. */
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

// Another tab wrote its drafts (or signed out): the list shows them too.
window.addEventListener('storage', (e) => {
  if (e.key === KEY || e.key === null) drafts.set(() => load());
});

/** Saves one conversation's draft, keeping the others as saved (another tab may have changed them). */
export function setDraft(conversationId: string, text: string) {
  const all = load();
  if ((all[conversationId] ?? '') !== text) {
    if (text) all[conversationId] = text;
    else delete all[conversationId];
    try {
      localStorage.setItem(KEY, JSON.stringify(all));
    } catch {
      // Storage full or refused: the draft still lives in this tab.
    }
  }
  drafts.set(() => all);
}

export const draftOf = (conversationId: string) => drafts.get()[conversationId] ?? '';

/** Signed out by the person (not a session that ended by itself): the drafts go too, in every tab. */
export function resetDrafts() {
  drafts.set(() => ({}));
  localStorage.removeItem(KEY);
}
