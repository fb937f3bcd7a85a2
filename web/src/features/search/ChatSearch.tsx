import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { ApiError } from '../../api/rest';
import { CloseIcon } from '../../components/Icons';
import { focusMessage } from '../../store/messages';
import { nameOf } from '../conversations/names';
import {
  MIN_MESSAGE_QUERY,
  moveAmongResults,
  resultButtons,
  HitButton,
  MoreResults,
  SearchAlert,
  SearchBox,
  useMessageSearch,
  type MessageHit,
} from './messageSearch';

/**
 * Search in one conversation: a bar in the header's place, results over the messages.
 * Picking a result shows it in the conversation (highlighted) and folds the results away;
 * a click in the box, typing or the down arrow brings them back. Escape or the close button
 * ends the search.
 */
export function ChatSearch({ c, myId, onClose }: { c: Conversation; myId: string; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [listOpen, setListOpen] = useState(true);
  const [pickedId, setPickedId] = useState<string | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const found = useMessageSearch(query, c.id);
  useEffect(() => input.current?.focus(), []);

  const q = query.trim();
  const stale = found.loading || found.q !== q;
  const hits = found.results ?? [];

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
      return;
    }
    // Folded results come back with the arrow (then it moves into them).
    if (!listOpen && e.key === 'ArrowDown' && q.length > 0) {
      e.preventDefault();
      setListOpen(true);
      return;
    }
    moveAmongResults(e, panel.current, input.current);
  }

  async function pick(h: MessageHit) {
    setOpenError(null);
    try {
      await focusMessage(c.id, h.message.seq);
      setPickedId(h.message.id);
      setListOpen(false);
      // Back in the box (the result's button is gone): Escape still ends the search.
      input.current?.focus();
    } catch (err) {
      setOpenError(err instanceof ApiError ? err.message : 'Could not show that message. Check your connection.');
    }
  }

  const count =
    q.length < MIN_MESSAGE_QUERY || found.results === null || stale
      ? ''
      : hits.length === 0
        ? 'No results'
        : `${hits.length}${found.hasMore ? '+' : ''} ${hits.length === 1 ? 'result' : 'results'}`;

  return (
    <div className="relative" onKeyDown={onKeyDown}>
      <div
        role="search"
        aria-label="Search in this chat"
        className="flex items-center gap-2 border-b border-neutral-200 bg-white px-2 py-2 dark:border-neutral-800 dark:bg-neutral-900"
      >
        <button
          aria-label="Close search"
          title="Close search"
          onClick={onClose}
          className="rounded-full p-2.5 hover:bg-neutral-100 dark:hover:bg-neutral-800"
        >
          <CloseIcon />
        </button>
        <SearchBox
          label="Search in this chat"
          value={query}
          onChange={(value) => {
            setQuery(value);
            setListOpen(true);
            setOpenError(null);
          }}
          onClick={() => setListOpen(true)}
          onEnter={() => resultButtons(panel.current)[0]?.click()}
          inputRef={input}
          className="min-w-0 flex-1"
        />
        <span className="shrink-0 pr-2 text-sm text-neutral-500" aria-live="polite" data-testid="chat-search-count">
          {count}
        </span>
      </div>
      {listOpen && q.length > 0 && (
        <div
          ref={panel}
          role="region"
          aria-label="Results in this chat"
          className="absolute inset-x-0 top-full z-20 max-h-[60vh] overflow-y-auto border-b border-neutral-200 bg-white pb-1 shadow-lg dark:border-neutral-800 dark:bg-neutral-900"
        >
          {openError && <SearchAlert spacing="mx-3 my-2">{openError}</SearchAlert>}
          {q.length < MIN_MESSAGE_QUERY ? (
            <p className="px-4 py-3 text-sm text-neutral-500">Type at least 2 characters</p>
          ) : found.error && !stale ? (
            <SearchAlert spacing="mx-3 my-2">{found.error}</SearchAlert>
          ) : found.results === null ? (
            <p className="px-4 py-3 text-sm text-neutral-500">Searching…</p>
          ) : hits.length === 0 ? (
            !stale && <p className="px-4 py-3 text-sm text-neutral-500">No messages match</p>
          ) : (
            <ul aria-label="Messages found" aria-busy={stale} className={stale ? 'opacity-60' : undefined}>
              {hits.map((h) => {
                const mine = h.message.sender_id === myId;
                return (
                  <li key={h.message.id}>
                    <HitButton
                      hit={h}
                      avatar={{ id: h.message.sender_id, name: nameOf(c, h.message.sender_id) }}
                      title={mine ? 'You' : nameOf(c, h.message.sender_id)}
                      current={h.message.id === pickedId}
                      testId="chat-search-result"
                      compact
                      onPick={() => void pick(h)}
                    />
                  </li>
                );
              })}
            </ul>
          )}
          {!stale && <MoreResults found={found} results={panel} />}
        </div>
      )}
    </div>
  );
}
