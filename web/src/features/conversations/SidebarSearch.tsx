import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { PublicUser } from '../../../../protocol/users.js';
import type { SearchResult } from '../../../../protocol/search.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { SearchIcon } from '../../components/Icons';
import { listTime } from '../../components/format';
import { useStore } from '../../store/store';
import { conversations } from '../../store/conversations';
import { nameOf, peerOf, titleOf } from './names';

type MessageHit = SearchResult['messages'][number];

const MIN_MESSAGE_QUERY = 2;
const DEBOUNCE_MS = 250;

/** Message search: debounced, at least two characters, stale requests cancelled. */
function useMessageSearch(query: string) {
  const [state, setState] = useState<{
    q: string;
    results: MessageHit[] | null;
    error: string | null;
    loading: boolean;
  }>({ q: '', results: null, error: null, loading: false });
  useEffect(() => {
    const q = query.trim();
    if (q.length < MIN_MESSAGE_QUERY) {
      setState({ q: '', results: null, error: null, loading: false });
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    const ctrl = new AbortController();
    const t = setTimeout(() => {
      api.search(q.slice(0, 200), { limit: 30, signal: ctrl.signal }).then(
        (r) => setState({ q, results: r.messages, error: null, loading: false }),
        (err: unknown) => {
          if (ctrl.signal.aborted) return;
          const msg = err instanceof ApiError ? err.message : 'Search failed';
          setState({ q, results: null, error: msg, loading: false });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [query]);
  return state;
}

function usePeopleSearch(query: string) {
  const [results, setResults] = useState<PublicUser[] | null>(null);
  useEffect(() => {
    const q = query.trim();
    if (!q) return setResults(null);
    let live = true;
    const t = setTimeout(() => {
      api
        .get<{ users: PublicUser[] }>(`/api/users?query=${encodeURIComponent(q)}`)
        .then((r) => live && setResults(r.users))
        .catch(() => live && setResults([]));
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query]);
  return results;
}

const heading = 'px-4 pt-3 pb-1 text-xs font-semibold tracking-wide text-neutral-500 uppercase';
const resultButton =
  'flex w-full items-center gap-3 px-3 py-2 text-left hover:bg-neutral-100 focus-visible:bg-neutral-100 dark:hover:bg-neutral-800 dark:focus-visible:bg-neutral-800';

/**
 * The sidebar's search box: people and messages. While it holds text, the results take the
 * place of the chat list (`children`); Escape clears it, arrows move between results.
 */
export function SidebarSearch({
  myId,
  activeId,
  onPickPerson,
  onPickMessage,
  children,
}: {
  myId: string;
  activeId: string | null;
  onPickPerson: (u: PublicUser) => void;
  onPickMessage: (conversationId: string, seq: number) => Promise<void>;
  children: ReactNode;
}) {
  const [query, setQuery] = useState('');
  const [openError, setOpenError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const results = useRef<HTMLDivElement>(null);
  const people = usePeopleSearch(query);
  const found = useMessageSearch(query);
  const byId = useStore(conversations, (s) => s.byId);
  const active = query.trim().length > 0;

  const clear = () => {
    setQuery('');
    setOpenError(null);
    input.current?.focus();
  };
  const buttons = () => [...(results.current?.querySelectorAll<HTMLButtonElement>('button[data-result]') ?? [])];

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape' && active) {
      e.preventDefault();
      clear();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const list = buttons();
    if (list.length === 0) return;
    e.preventDefault();
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'ArrowDown') list[Math.min(list.length - 1, at + 1)]?.focus();
    else if (at <= 0) input.current?.focus();
    else list[at - 1]?.focus();
  }

  async function pickMessage(h: MessageHit) {
    setOpenError(null);
    try {
      await onPickMessage(h.message.conversation_id, h.message.seq);
    } catch (err) {
      setOpenError(err instanceof ApiError ? err.message : 'Could not open the message');
    }
  }

  const q = query.trim();
  const messageHits = found.results ?? [];
  const stale = found.loading || found.q !== q;

  return (
    <div className="flex min-h-0 flex-1 flex-col" onKeyDown={onKeyDown}>
      <div className="px-3 pb-2">
        <label className="relative block">
          <span className="sr-only">Search people and messages</span>
          <span className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-neutral-400">
            <SearchIcon />
          </span>
          <input
            ref={input}
            type="search"
            placeholder="Search people and messages"
            aria-label="Search people and messages"
            maxLength={200}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setOpenError(null);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                buttons()[0]?.click();
              }
            }}
            className="w-full rounded-xl bg-neutral-100 py-2 pr-3 pl-9 text-[15px] outline-none focus:ring-2 focus:ring-accent/40 dark:bg-neutral-800"
          />
        </label>
      </div>
      {!active ? (
        children
      ) : (
        <div ref={results} className="min-h-0 flex-1 overflow-y-auto pb-3" aria-label="Search results" role="region">
          <h3 className={heading}>People</h3>
          <ul aria-label="People">
            {people?.length === 0 && <li className="px-4 py-2 text-sm text-neutral-500">No one found</li>}
            {people?.map((u) => (
              <li key={u.id}>
                <button
                  data-result
                  className={resultButton}
                  onClick={() => {
                    onPickPerson(u);
                    setQuery('');
                  }}
                >
                  <Avatar id={u.id} name={u.display_name} size={36} />
                  <span className="min-w-0">
                    <span className="block truncate font-medium">{u.display_name}</span>
                    <span className="block truncate text-sm text-neutral-500">@{u.username}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <h3 className={heading}>Messages</h3>
          {openError && (
            <p role="alert" className="mx-3 my-1 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700">
              {openError}
            </p>
          )}
          {q.length < MIN_MESSAGE_QUERY ? (
            <p className="px-4 py-2 text-sm text-neutral-500">Type at least 2 characters to search messages</p>
          ) : found.error && !stale ? (
            <p role="alert" className="mx-3 my-1 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700">
              {found.error}
            </p>
          ) : found.results === null ? (
            <p className="px-4 py-2 text-sm text-neutral-500" aria-live="polite">
              Searching…
            </p>
          ) : (
            <ul aria-label="Messages" aria-busy={stale} className={stale ? 'opacity-60' : undefined}>
              {messageHits.length === 0 && !stale && (
                <li className="px-4 py-2 text-sm text-neutral-500">No messages match</li>
              )}
              {messageHits.map((h) => {
                const c = byId[h.message.conversation_id];
                const title = c ? titleOf(c, myId) : 'Chat';
                const sender =
                  h.message.sender_id === myId ? 'You' : c?.type === 'group' ? nameOf(c, h.message.sender_id) : null;
                const avatarId = c ? (peerOf(c, myId)?.id ?? c.id) : h.message.conversation_id;
                return (
                  <li key={h.message.id}>
                    <button
                      data-result
                      data-testid="message-result"
                      aria-current={h.message.conversation_id === activeId ? 'true' : undefined}
                      className={`${resultButton} items-start aria-[current]:bg-accent-soft/40 dark:aria-[current]:bg-teal-900/30`}
                      onClick={() => void pickMessage(h)}
                    >
                      <Avatar id={avatarId} name={title} size={40} />
                      <span className="min-w-0 flex-1">
                        <span className="flex items-baseline gap-2">
                          <span className="min-w-0 flex-1 truncate font-medium">{title}</span>
                          <time dateTime={h.message.created_at} className="shrink-0 text-xs text-neutral-500">
                            {listTime(h.message.created_at)}
                          </time>
                        </span>
                        <span className="line-clamp-2 text-sm break-words text-neutral-600 dark:text-neutral-400">
                          {sender && <span className="text-neutral-500">{sender}: </span>}
                          {h.snippet.map((p, i) =>
                            p.hit ? (
                              <mark
                                key={i}
                                className="rounded-sm bg-amber-200 px-0.5 text-neutral-900 dark:bg-amber-500/40 dark:text-neutral-50"
                              >
                                {p.text}
                              </mark>
                            ) : (
                              <span key={i}>{p.text}</span>
                            ),
                          )}
                        </span>
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
