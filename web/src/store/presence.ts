import type { ServerPayload } from '../../../protocol/frames.js';
import { createStore } from './store';

export interface PresenceState {
  online: Record<string, boolean>;
  lastSeen: Record<string, string>;
  /** conversation id -> user id -> when the indicator lapses (ms epoch) */
  typing: Record<string, Record<string, number>>;
}

export const presence = createStore<PresenceState>({ online: {}, lastSeen: {}, typing: {} });

export function applyPresence(p: ServerPayload<'presence_update'>) {
  presence.set((s) => ({
    ...s,
    online: { ...s.online, [p.user_id]: p.status === 'online' },
    lastSeen: p.last_seen_at ? { ...s.lastSeen, [p.user_id]: p.last_seen_at } : s.lastSeen,
  }));
}

/** Online state as a fresh conversation payload reports it. */
export function seedPresence(members: { id: string; online: boolean }[]) {
  presence.set((s) => {
    const online = { ...s.online };
    let changed = false;
    for (const m of members) {
      if (online[m.id] !== m.online) {
        online[m.id] = m.online;
        changed = true;
      }
    }
    return changed ? { ...s, online } : s;
  });
}

const TYPING_LAPSE_MS = 7_000;

export function applyTyping(t: ServerPayload<'typing'>) {
  presence.set((s) => {
    const conv = { ...s.typing[t.conversation_id] };
    if (t.is_typing) conv[t.user_id] = Date.now() + TYPING_LAPSE_MS;
    else delete conv[t.user_id];
    return { ...s, typing: { ...s.typing, [t.conversation_id]: conv } };
  });
  if (t.is_typing) setTimeout(() => presence.set((s) => ({ ...s })), TYPING_LAPSE_MS + 50);
}

/** A message from someone ends their typing indicator at once. */
export function clearTyping(conversationId: string, userId: string) {
  const conv = presence.get().typing[conversationId];
  if (conv?.[userId]) applyTyping({ conversation_id: conversationId, user_id: userId, is_typing: false });
}

export function typingUsers(s: PresenceState, conversationId: string): string[] {
  const now = Date.now();
  return Object.entries(s.typing[conversationId] ?? {})
    .filter(([, until]) => until > now)
    .map(([id]) => id);
}
