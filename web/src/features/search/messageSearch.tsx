import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { SearchIcon } from '../../components/Icons';
import { Avatar } from '../../components/Avatar';
import { listTime } from '../../components/format';
import type { SearchResult } from '../../../../protocol/search.js';
import { api, ApiError } from '../../api/rest';

export type MessageHit = SearchResult['messages'][number];

export const MIN_MESSAGE_QUERY = 2;
const DEBOUNCE_MS = 250;
/** Results asked for: the most recent matches first. */
export const SEARCH_LIMIT = 30;

export interface MessageSearchState {
  /** The query the results are for (trimmed). */
  q: string;
  results: MessageHit[] | null;
  error: string | null;
  loading: boolean;
  /** More (older) matches than `results` holds. */
  hasMore: boolean;
  /** Older results on their way (`more`). */
  loadingMore: boolean;
  /** Why the last `more` failed. */
  moreError: string | null;
}

const IDLE: MessageSearchState = {
  q: '',
  results: null,
  error: null,
  loading: false,
  hasMore: false,
  loadingMore: false,
  moreError: null,
};

const failure = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

/**
 * Message search, everywhere or in one conversation: debounced, at least two characters,
 * stale requests cancelled. `more` adds the next page of older matches to the results.
 */
export function useMessageSearch(query: string, conversationId?: string): MessageSearchState & { more: () => void } {
  const [state, setState] = useState<MessageSearchState>(IDLE);
  // The running request (first page or more) of the current query, cancelled when it changes.
  const running = useRef<AbortController | null>(null);
  // The trimmed query: a space typed at the end neither searches again nor drops older pages.
  const q = query.trim();
  useEffect(() => {
    if (q.length < MIN_MESSAGE_QUERY) {
      setState(IDLE);
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    const ctrl = new AbortController();
    running.current = ctrl;
    const t = setTimeout(() => {
      api.search(q.slice(0, 200), { conversationId, limit: SEARCH_LIMIT, signal: ctrl.signal }).then(
        (r) => {
          if (ctrl.signal.aborted) return;
          setState({ ...IDLE, q, results: r.messages, hasMore: r.has_more });
        },
        (err: unknown) => {
          if (ctrl.signal.aborted) return;
          setState({ ...IDLE, q, error: failure(err, 'Search failed') });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [q, conversationId]);

  const more = useCallback(() => {
    const ctrl = running.current;
    const { results, hasMore, loading, loadingMore } = state;
    const last = results?.at(-1);
    if (!ctrl || ctrl.signal.aborted || !last || !hasMore || loading || loadingMore) return;
    setState((s) => ({ ...s, loadingMore: true, moreError: null }));
    api
      .search(state.q.slice(0, 200), {
        conversationId,
        limit: SEARCH_LIMIT,
        before: last.message.id,
        signal: ctrl.signal,
      })
      .then(
        (r) => {
          if (ctrl.signal.aborted) return;
          setState((s) => {
            const seen = new Set(s.results?.map((h) => h.message.id));
            const added = r.messages.filter((h) => !seen.has(h.message.id));
            return { ...s, results: [...(s.results ?? []), ...added], hasMore: r.has_more, loadingMore: false };
          });
        },
        (err: unknown) => {
          if (ctrl.signal.aborted) return;
          setState((s) => ({ ...s, loadingMore: false, moreError: failure(err, 'Could not load more results') }));
        },
      );
  }, [state, conversationId]);

  return { ...state, more };
}

/**
 * The end of a search's results: a button for the older ones while there are more (focus
 * moves to the first of them when they come, so the arrows carry on from there), and why the
 * last try failed.
 */
export function MoreResults({
  found,
  results,
}: {
  found: ReturnType<typeof useMessageSearch>;
  results: RefObject<HTMLElement | null>;
}) {
  const [focusAfter, setFocusAfter] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const hits = found.results;
  useEffect(() => {
    if (focusAfter === null || found.loadingMore) return;
    setFocusAfter(null);
    // Unless focus went elsewhere meanwhile (or the button, the last page in, is gone).
    const at = document.activeElement;
    if (at !== button.current && at !== document.body && at !== null) return;
    const ids = hits?.map((h) => h.message.id) ?? [];
    const next = ids[ids.indexOf(focusAfter) + 1];
    const target = next && results.current?.querySelector<HTMLElement>(`[data-hit-id="${CSS.escape(next)}"]`);
    (target || button.current)?.focus();
  }, [focusAfter, found.loadingMore, hits, results]);
  if (!found.hasMore && !found.moreError) return null;
  return (
    <div className="px-3 pt-1 pb-2">
      {found.moreError && <SearchAlert spacing="mb-2">{found.moreError}</SearchAlert>}
      {found.hasMore && (
        <button
          ref={button}
          data-result
          aria-busy={found.loadingMore}
          className="w-full rounded-lg px-3 py-2 text-sm font-medium text-accent hover:bg-neutral-100 focus-visible:bg-neutral-100 dark:hover:bg-neutral-800 dark:focus-visible:bg-neutral-800"
          onClick={() => {
            if (found.loadingMore) return;
            setFocusAfter(hits?.at(-1)?.message.id ?? null);
            found.more();
          }}
        >
          {found.loadingMore ? 'Loading older results…' : 'Show older results'}
        </button>
      )}
    </div>
  );
}

/** A hit's snippet: matched words marked (as text, never as HTML). */
export function Snippet({ parts }: { parts: MessageHit['snippet'] }) {
  return (
    <>
      {parts.map((p, i) =>
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
    </>
  );
}

/**
 * Arrow keys between a search box and its results (buttons marked `data-result` inside
 * `results`): Down moves into and along the list, Up back towards the box. True when handled.
 */
export function moveAmongResults(
  e: KeyboardEvent,
  results: HTMLElement | null,
  input: HTMLInputElement | null,
): boolean {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return false;
  const list = resultButtons(results);
  if (list.length === 0) return false;
  e.preventDefault();
  const at = list.indexOf(document.activeElement as HTMLButtonElement);
  if (e.key === 'ArrowDown') list[Math.min(list.length - 1, at + 1)]?.focus();
  else if (at <= 0) input?.focus();
  else list[at - 1]?.focus();
  return true;
}

export const resultButtons = (results: HTMLElement | null) => [
  ...(results?.querySelectorAll<HTMLButtonElement>('button[data-result]') ?? []),
];

/**
 * A rounded search box with a magnifier; Enter opens the first result. `placeholder`: shorter
 * than the label where the box is narrow (the label is what screen readers say).
 */
export function SearchBox({
  label,
  placeholder = label,
  value,
  onChange,
  onEnter,
  onClick,
  inputRef,
  className = '',
}: {
  label: string;
  placeholder?: string;
  value: string;
  onChange: (value: string) => void;
  onEnter: () => void;
  onClick?: () => void;
  inputRef: RefObject<HTMLInputElement | null>;
  className?: string;
}) {
  return (
    <label className={`relative block ${className}`}>
      <span className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-neutral-400">
        <SearchIcon />
      </span>
      <input
        ref={inputRef}
        type="search"
        placeholder={placeholder}
        aria-label={label}
        maxLength={200}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onClick={onClick}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            onEnter();
          }
        }}
        className="h-10 w-full rounded-xl bg-neutral-100 pr-3 pl-9 text-[15px] outline-none focus:ring-2 focus:ring-accent/40 dark:bg-neutral-800"
      />
    </label>
  );
}

const hitButton =
  'flex w-full items-start gap-3 px-3 py-2 text-left hover:bg-neutral-100 focus-visible:bg-neutral-100 aria-[current]:bg-accent-soft/40 dark:hover:bg-neutral-800 dark:focus-visible:bg-neutral-800 dark:aria-[current]:bg-teal-900/30';

/** One message found: an avatar, a title and the time, then the snippet (after `prefix`, such as "You: "). */
export function HitButton({
  hit,
  avatar,
  title,
  prefix,
  current,
  testId,
  compact,
  onPick,
}: {
  hit: MessageHit;
  avatar: { id: string; name: string };
  title: string;
  prefix?: string | null;
  current: boolean;
  testId: string;
  /** Smaller avatar and title (inside one conversation). */
  compact?: boolean;
  onPick: () => void;
}) {
  return (
    <button
      data-result
      data-hit-id={hit.message.id}
      data-testid={testId}
      aria-current={current ? 'true' : undefined}
      className={hitButton}
      onClick={onPick}
    >
      <Avatar id={avatar.id} name={avatar.name} size={compact ? 32 : 40} />
      <span className="min-w-0 flex-1">
        <span className="flex items-baseline gap-2">
          <span className={`min-w-0 flex-1 truncate font-medium ${compact ? 'text-sm' : ''}`}>{title}</span>
          <time dateTime={hit.message.created_at} className="shrink-0 text-xs text-neutral-500">
            {listTime(hit.message.created_at)}
          </time>
        </span>
        <span className="line-clamp-2 text-sm break-words text-neutral-600 dark:text-neutral-400">
          {prefix && <span className="text-neutral-500">{prefix}: </span>}
          <Snippet parts={hit.snippet} />
        </span>
      </span>
    </button>
  );
}

/** A search's failure, said in the results (`spacing`: its margins there). */
export function SearchAlert({ spacing, children }: { spacing: string; children: ReactNode }) {
  return (
    <p
      role="alert"
      className={`${spacing} rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300`}
    >
      {children}
    </p>
  );
}
