import { useCallback, useEffect, useRef, useState } from 'react';
import type { Call } from '../../../../protocol/calls.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { listTime } from '../../components/format';
import { PhoneIcon, VideoIcon } from '../../components/Icons';
import { SkeletonRow } from '../../components/Skeleton';
import { useReloadOnReturn } from '../../components/useReloadOnReturn';
import { call, callEvents, startCall } from '../../store/calls';
import { conversations, type ConversationsState } from '../../store/conversations';
import { useStore } from '../../store/store';
import { Pane, RetryNotice } from '../account/ui';
import { peerOf, titleOf } from '../conversations/names';
import { isMissed, listText } from './callText';

/**
 * The newest call line among the chats' last messages. The server posts one when it has saved
 * a call's end, here or on any other device: a new one means the list has changed.
 */
function newestCallLine(s: ConversationsState): string {
  let newest: { id: string; at: string } | null = null;
  for (const c of Object.values(s.byId)) {
    const m = c.last_message;
    if (m?.message_type === 'call' && (!newest || m.created_at > newest.at)) newest = { id: m.id, at: m.created_at };
  }
  return newest?.id ?? '';
}

/**
 * The user's recent calls (the newest 100, from `GET /api/calls`), newest first: with whom,
 * which way, how it went, when. A row opens the chat; the button beside it calls again with the
 * same media. The list loads again when a call rings, is answered or ends (see `heard` and
 * `changed`), and when the tab comes back to the front.
 */
export function CallsView({
  myId,
  onBack,
  onOpen,
}: {
  myId: string;
  onBack: () => void;
  onOpen: (id: string) => void;
}) {
  const [calls, setCalls] = useState<Call[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const byId = useStore(conversations, (s) => s.byId);
  const current = useStore(call, (c) => c);
  const inCall = current !== null;
  // The list loads again when a call's line reaches a chat, and when a call frame says the
  // server has saved a change (a call rings, is answered or ends, here or at the other side).
  const changed = useStore(conversations, newestCallLine);
  const heard = useStore(callEvents, (n) => n);

  // The answer to the latest request only: an earlier one may come back after it.
  const latest = useRef(0);
  const load = useCallback(async () => {
    const n = ++latest.current;
    try {
      const r = await api.get<{ calls: Call[] }>('/api/calls');
      if (n !== latest.current) return;
      setCalls(r.calls);
      setError(null);
    } catch (err) {
      if (n !== latest.current) return;
      setError(err instanceof ApiError ? err.message : 'Could not load your calls. Check your connection.');
    }
  }, []);
  useEffect(() => {
    void load();
    // Unmounted: whatever is still on its way is not shown.
    return () => void ++latest.current;
  }, [load, changed, heard]);
  useReloadOnReturn(load);

  return (
    <Pane title="Calls" onBack={onBack}>
      {error && <RetryNotice onRetry={() => void load()}>{error}</RetryNotice>}
      {calls === null ? (
        !error && (
          <ul aria-hidden="true" className="overflow-hidden rounded-2xl bg-white shadow-sm dark:bg-neutral-900">
            {Array.from({ length: 3 }, (_, i) => (
              <SkeletonRow key={i} avatar="h-10 w-10" className="px-3 py-2.5" />
            ))}
          </ul>
        )
      ) : calls.length === 0 ? (
        <p className="px-1 text-sm text-neutral-500">No calls yet. Start one with the phone or camera in a chat.</p>
      ) : (
        <ul
          aria-label="Recent calls"
          className="divide-y divide-neutral-200 overflow-hidden rounded-2xl bg-white shadow-sm dark:divide-neutral-800 dark:bg-neutral-900"
        >
          {calls.map((c) => {
            const conversation = byId[c.conversation_id];
            const peer = conversation ? peerOf(conversation, myId) : undefined;
            const title = conversation ? titleOf(conversation, myId) : 'Chat';
            const outgoing = c.caller_id === myId;
            // This device's own call reads from its live state (answered here a moment ago: in
            // progress before the list has loaded again).
            const live = current?.callId === c.id && current.phase !== 'ended' ? current.phase : null;
            const text = listText(c, outgoing, live);
            const Icon = c.media === 'video' ? VideoIcon : PhoneIcon;
            const again = `${c.media === 'video' ? 'Video' : 'Voice'} call ${title}`;
            return (
              <li key={c.id} className="flex items-center" data-testid="call-row">
                <button
                  className="flex min-w-0 flex-1 items-center gap-3 px-3 py-2.5 text-left hover:bg-neutral-100 disabled:hover:bg-transparent dark:hover:bg-neutral-800"
                  disabled={!conversation}
                  onClick={() => onOpen(c.conversation_id)}
                >
                  <Avatar id={peer?.id ?? c.conversation_id} name={title} size={40} />
                  <span className="min-w-0 flex-1">
                    <span className="block truncate font-medium">{title}</span>
                    <span
                      className={`flex items-center gap-1 text-sm ${isMissed(c, outgoing) ? 'text-red-600 dark:text-red-400' : 'text-neutral-500'}`}
                    >
                      <span aria-hidden="true">{outgoing ? '↗' : '↙'}</span>
                      <span className="sr-only">{outgoing ? 'Outgoing: ' : 'Incoming: '}</span>
                      <span className="truncate">{text}</span>
                    </span>
                  </span>
                  <time dateTime={c.started_at} className="shrink-0 text-xs text-neutral-500">
                    {listTime(c.started_at)}
                  </time>
                </button>
                {peer && (
                  <button
                    aria-label={again}
                    title={again}
                    disabled={inCall}
                    onClick={() => void startCall(c.conversation_id, peer.id, c.media)}
                    className="mr-2 rounded-full p-2.5 text-accent hover:bg-accent-soft/60 disabled:opacity-40 dark:text-teal-400 dark:hover:bg-teal-900/40"
                  >
                    <Icon />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Pane>
  );
}
