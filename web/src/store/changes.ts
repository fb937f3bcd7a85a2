import type { ChangeList, Message } from '../../../protocol/messages.js';
import type { ServerFrame } from '../../../protocol/frames.js';
import { WS_LIMITS } from '../../../protocol/frames.js';
import { api } from '../api/rest';
import type { ChatSocket } from '../api/socket';
import { applyMessageUpdate } from './conversations';
import { cursorOf, raiseCursor } from './cursors';
import { addMessages, applyUpdates, fetchAfter, messages } from './messages';

const CHANGES_PAGE = 100;

/** New states of messages of one conversation: into its thread and its list preview. */
export function applyChanges(conversationId: string, changed: Message[]) {
  applyUpdates(conversationId, changed);
  for (const m of changed) applyMessageUpdate(m);
}

/**
 * A live `message_updated`. The next change in line moves the cursor; one that skips numbers
 * means updates were lost on the way, so the missing ones are fetched.
 */
export function receiveUpdate(m: Message) {
  applyChanges(m.conversation_id, [m]);
  const cursor = cursorOf(m.conversation_id);
  // Not seeded yet: the fresh conversation list (which already counts this change) will seed it.
  if (cursor === undefined) return;
  if (m.change_seq === cursor + 1) raiseCursor(m.conversation_id, m.change_seq);
  else if (m.change_seq > cursor + 1) void catchUpChanges(m.conversation_id).catch(() => {});
}

const running = new Map<string, Promise<void>>();
const again = new Set<string>();

/**
 * Fetches and applies every change after the conversation's cursor, page by page, then moves
 * the cursor to the newest. One run per conversation; a gap found meanwhile runs it again.
 */
export function catchUpChanges(conversationId: string): Promise<void> {
  const busy = running.get(conversationId);
  if (busy) {
    again.add(conversationId);
    return busy;
  }
  const run = (async () => {
    do {
      again.delete(conversationId);
      let after = cursorOf(conversationId) ?? 0;
      for (;;) {
        const page = await api.get<ChangeList>(
          `/api/conversations/${conversationId}/changes?after_change_seq=${after}&limit=${CHANGES_PAGE}`,
        );
        applyChanges(conversationId, page.changes);
        const last = page.changes.at(-1)?.change_seq;
        if (!page.has_more || last === undefined) {
          raiseCursor(conversationId, page.last_change_seq);
          break;
        }
        raiseCursor(conversationId, last);
        after = last;
      }
    } while (again.has(conversationId));
  })().finally(() => running.delete(conversationId));
  running.set(conversationId, run);
  return run;
}

type SyncResult = Extract<ServerFrame, { type: 'sync_result' }>;

/**
 * After a reconnect: for each loaded thread, the messages after its newest and the changes after
 * its cursor (edits, deletes and reactions made while we were away), with nothing missing.
 */
export async function resyncThreads(socket: ChatSocket) {
  const threads = Object.entries(messages.get().threads).filter(([, t]) => t.loaded);
  // A window in the middle (opened at a search result) catches up new messages by paging
  // (`loadNewer`); its changes come over REST.
  for (const [id, t] of threads) if (t.hasNewer && cursorOf(id) !== undefined) await catchUpChanges(id);
  const wanted = threads
    .filter(([, t]) => !t.hasNewer)
    .map(([conversation_id, t]) => {
      const cursor = cursorOf(conversation_id);
      return {
        conversation_id,
        after_seq: t.items.at(-1)?.seq ?? 0,
        ...(cursor === undefined ? {} : { after_change_seq: cursor }),
      };
    });
  for (let i = 0; i < wanted.length; i += WS_LIMITS.syncMaxConversations) {
    const chunk = wanted.slice(i, i + WS_LIMITS.syncMaxConversations);
    const reply = (await socket.request('sync', { conversations: chunk })) as SyncResult | null;
    if (reply?.type !== 'sync_result') {
      // No answer: page each conversation over REST instead.
      for (const w of chunk) {
        await fetchAfter(w.conversation_id, w.after_seq);
        if (w.after_change_seq !== undefined) await catchUpChanges(w.conversation_id);
      }
      continue;
    }
    for (const c of reply.payload.conversations) {
      const asked = chunk.find((w) => w.conversation_id === c.conversation_id);
      addMessages(c.conversation_id, c.messages);
      if (c.has_more) await fetchAfter(c.conversation_id, c.messages.at(-1)?.seq ?? 0);
      if (asked?.after_change_seq === undefined) continue;
      applyChanges(c.conversation_id, c.changes);
      const last = c.changes.at(-1)?.change_seq;
      if (c.changes_has_more) {
        if (last !== undefined) raiseCursor(c.conversation_id, last);
        await catchUpChanges(c.conversation_id);
      } else {
        raiseCursor(c.conversation_id, c.last_change_seq);
      }
    }
  }
}
