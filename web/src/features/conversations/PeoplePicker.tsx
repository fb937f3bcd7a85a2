import { useEffect, useState } from 'react';
import type { PublicUser } from '../../../../protocol/users.js';
import { api } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { SearchIcon } from '../../components/Icons';
import { notePhotos } from '../../store/people';

/**
 * "Search people": a search box and its results; `onPick` gets the chosen person. People in
 * `exclude` are found but cannot be picked, and say why (`excludedNote`: "Already in the group").
 */
export function PeopleSearch({
  onPick,
  autoFocus,
  exclude = [],
  excludedNote = 'Added',
}: {
  onPick: (u: PublicUser) => void;
  autoFocus?: boolean;
  exclude?: string[];
  excludedNote?: string;
}) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PublicUser[]>([]);
  useEffect(() => {
    const q = query.trim();
    if (!q) return setResults([]);
    const t = setTimeout(() => {
      api
        .get<{ users: PublicUser[] }>(`/api/users?query=${encodeURIComponent(q)}`)
        .then((r) => {
          notePhotos(r.users);
          setResults(r.users);
        })
        .catch(() => setResults([]));
    }, 150);
    return () => clearTimeout(t);
  }, [query]);
  return (
    <div>
      <label className="relative block">
        <span className="sr-only">Search people</span>
        <span className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-neutral-400">
          <SearchIcon />
        </span>
        <input
          type="search"
          placeholder="Search people"
          aria-label="Search people"
          autoFocus={autoFocus}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="w-full rounded-xl bg-neutral-100 py-2 pr-3 pl-9 text-[15px] outline-none focus:ring-2 focus:ring-accent/40 dark:bg-neutral-800"
        />
      </label>
      {query.trim() && (
        <ul className="mt-1" aria-label="People">
          {results.length === 0 && <li className="px-3 py-2 text-sm text-neutral-500">No one found</li>}
          {results.map((u) => {
            const out = exclude.includes(u.id);
            return (
              <li key={u.id}>
                <button
                  disabled={out}
                  className="flex w-full items-center gap-3 rounded-xl px-3 py-2 text-left hover:bg-neutral-100 disabled:hover:bg-transparent dark:hover:bg-neutral-800"
                  onClick={() => {
                    onPick(u);
                    setQuery('');
                  }}
                >
                  <PersonLabel user={u} />
                  {out && (
                    <span className="shrink-0 text-sm text-neutral-600 dark:text-neutral-400">{excludedNote}</span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** A person found: their avatar, name and @username (a row of the people search's results). */
export function PersonLabel({ user }: { user: Pick<PublicUser, 'id' | 'display_name' | 'username'> }) {
  return (
    <>
      <Avatar id={user.id} name={user.display_name} size={36} />
      <span className="min-w-0 flex-1">
        <span className="block truncate font-medium">{user.display_name}</span>
        <span className="block truncate text-sm text-neutral-500">@{user.username}</span>
      </span>
    </>
  );
}
