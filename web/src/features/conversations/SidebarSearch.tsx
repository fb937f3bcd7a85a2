import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { PublicUser } from '../../../../protocol/users.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { useStore } from '../../store/store';
import { conversations } from '../../store/conversations';
import { nameOf, peerOf, titleOf } from './names';
import { PersonLabel } from './PeoplePicker';
import { notePhotos } from '../../store/people';
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
} from '../search/messageSearch';

function usePeopleSearch(query: string) {
  const [results, setResults] = useState<PublicUser[] | null>(null);
  useEffect(() => {
    const q = query.trim();
    if (!q) return setResults(null);
    let live = true;
    const t = setTimeout(() => {
      api
        .get<{ users: PublicUser[] }>(`/api/users?query=${encodeURIComponent(q)}`)
        .then((r) => {
          notePhotos(r.users);
          if (live) setResults(r.users);
        })
        .catch(() => live && setResults([]));
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query]);
  return results;
}

/** Text to compare, without case or accents ("Café" finds "cafe"). */
const folded = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLocaleLowerCase();

const heading = 'px-4 pt-3 pb-1 text-xs font-semibold tracking-wide text-neutral-500 uppercase';
const resultButton =
  'flex w-full items-center gap-3 px-3 py-2 text-left hover:bg-neutral-100 focus-visible:bg-neutral-100 dark:hover:bg-neutral-800 dark:focus-visible:bg-neutral-800';

/**
 * The sidebar's search box: the groups one is in (by name, from the list held here), people
 * and messages. While it holds text, the results take the place of the chat list (`children`);
 * Escape clears it, arrows move between results.
 */
export function SidebarSearch({
  myId,
  activeId,
  onPickGroup,
  onPickPerson,
  onPickMessage,
  children,
}: {
  myId: string;
  activeId: string | null;
  onPickGroup: (conversationId: string) => void;
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
  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Escape' && active) {
      e.preventDefault();
      clear();
      return;
    }
    moveAmongResults(e, results.current, input.current);
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
  const groups = q
    ? Object.values(byId)
        .filter((c) => c.type === 'group' && folded(titleOf(c, myId)).includes(folded(q)))
        .sort((a, b) => (a.last_activity_at < b.last_activity_at ? 1 : -1))
        .slice(0, 20)
    : [];
  const messageHits = found.results ?? [];
  const stale = found.loading || found.q !== q;

  return (
    <div className="flex min-h-0 flex-1 flex-col" onKeyDown={onKeyDown}>
      <div className="px-3 pb-2">
        <SearchBox
          label="Search people, groups and messages"
          // The whole label was cut at a desktop's sidebar width ("…and messag").
          placeholder="Search"
          value={query}
          onChange={(value) => {
            setQuery(value);
            setOpenError(null);
          }}
          onEnter={() => resultButtons(results.current)[0]?.click()}
          inputRef={input}
        />
      </div>
      {!active ? (
        children
      ) : (
        <div ref={results} className="min-h-0 flex-1 overflow-y-auto pb-3" aria-label="Search results" role="region">
          {groups.length > 0 && (
            <>
              <h3 className={heading}>Groups</h3>
              <ul aria-label="Groups">
                {groups.map((c) => (
                  <li key={c.id}>
                    <button
                      data-result
                      className={resultButton}
                      onClick={() => {
                        onPickGroup(c.id);
                        setQuery('');
                      }}
                    >
                      <Avatar id={c.id} name={titleOf(c, myId)} size={36} />
                      <span className="min-w-0">
                        <span className="block truncate font-medium">{titleOf(c, myId)}</span>
                        <span className="block truncate text-sm text-neutral-500">
                          {c.members.length} {c.members.length === 1 ? 'member' : 'members'}
                        </span>
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
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
                  <PersonLabel user={u} />
                </button>
              </li>
            ))}
          </ul>
          <h3 className={heading}>Messages</h3>
          {openError && <SearchAlert spacing="mx-3 my-1">{openError}</SearchAlert>}
          {q.length < MIN_MESSAGE_QUERY ? (
            <p className="px-4 py-2 text-sm text-neutral-500">Type at least 2 characters to search messages</p>
          ) : found.error && !stale ? (
            <SearchAlert spacing="mx-3 my-1">{found.error}</SearchAlert>
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
                    <HitButton
                      hit={h}
                      avatar={{ id: avatarId, name: title }}
                      title={title}
                      prefix={sender}
                      current={h.message.conversation_id === activeId}
                      testId="message-result"
                      onPick={() => void pickMessage(h)}
                    />
                  </li>
                );
              })}
            </ul>
          )}
          {found.results !== null && !stale && <MoreResults found={found} results={results} />}
        </div>
      )}
    </div>
  );
}
