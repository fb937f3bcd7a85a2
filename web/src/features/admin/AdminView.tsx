import { useCallback, useEffect, useRef, useState } from 'react';
import type { SelfUser } from '../../../../protocol/users.js';
import type { AdminStats, AdminUser } from '../../../../protocol/accounts.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { Dialog } from '../../components/Dialog';
import { SearchIcon } from '../../components/Icons';
import { SkeletonRow } from '../../components/Skeleton';
import { useReloadOnReturn } from '../../components/useReloadOnReturn';
import { connection } from '../../store/chat';
import { useStore } from '../../store/store';
import { dateLabel } from '../account/device';
import { Badge, Card, dangerSmall, Notice, Pane, RetryNotice, secondaryButton, secondarySmall } from '../account/ui';
import { notePhotos } from '../../store/people';

const PAGE_SIZE = 50;
/** How often the numbers (users online now, above all) are loaded again while the page is in view. */
const STATS_EVERY_MS = 15_000;

const message = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

/** Administration: numbers at a glance, and every account, searchable, with disable / enable. */
export function AdminView({ me, onBack }: { me: SelfUser; onBack: () => void }) {
  const [stats, setStats] = useState<AdminStats | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ users: AdminUser[]; total: number } | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<AdminUser | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const request = useRef(0);

  const statsRequest = useRef(0);
  const loadStats = useCallback(async () => {
    // Loaded on several occasions: only the answer to the latest counts.
    const mine = ++statsRequest.current;
    try {
      const next = await api.get<AdminStats>('/api/admin/stats');
      if (mine !== statsRequest.current) return;
      setStats(next);
      setStatsError(null);
    } catch (err) {
      if (mine === statsRequest.current) setStatsError(message(err, 'Could not load the numbers'));
    }
  }, []);

  const loadUsers = useCallback(async () => {
    // Only the answer to the latest question counts (typing sends several).
    const mine = ++request.current;
    setLoading(true);
    try {
      const params = new URLSearchParams({ query: search, limit: String(PAGE_SIZE), offset: String(offset) });
      const res = await api.get<{ users: AdminUser[]; total: number }>(`/api/admin/users?${params}`);
      if (mine !== request.current) return;
      notePhotos(res.users);
      setPage(res);
      setError(null);
    } catch (err) {
      if (mine === request.current) setError(message(err, 'Could not load the users'));
    } finally {
      if (mine === request.current) setLoading(false);
    }
  }, [search, offset]);

  // "Online now" is live: loaded again when this device's own socket is (back) online (it
  // counts too, and a reload of the page reconnects it after the first load), every 15 s while
  // the page is in view, and on coming back to it.
  const online = useStore(connection, (s) => s.status === 'online');
  useEffect(() => void loadStats(), [loadStats, online]);
  useEffect(() => {
    const t = setInterval(() => document.visibilityState === 'visible' && void loadStats(), STATS_EVERY_MS);
    return () => clearInterval(t);
  }, [loadStats]);
  useReloadOnReturn(loadStats);
  useEffect(() => void loadUsers(), [loadUsers]);
  // Search as one types, a moment after the last key.
  useEffect(() => {
    const t = setTimeout(() => {
      setSearch(query.trim());
      setOffset(0);
    }, 250);
    return () => clearTimeout(t);
  }, [query]);

  async function setDisabled(u: AdminUser, disabled: boolean) {
    setBusyId(u.id);
    setActionError(null);
    try {
      await api.post(`/api/admin/users/${u.id}/${disabled ? 'disable' : 'enable'}`);
    } catch (err) {
      setActionError(message(err, 'That did not work'));
    } finally {
      setBusyId(null);
      setConfirming(null);
      await Promise.all([loadUsers(), loadStats()]);
    }
  }

  const total = page?.total ?? 0;
  const users = page?.users ?? [];
  const actions = (u: AdminUser) =>
    u.id === me.id ? (
      <span className="text-sm text-neutral-500 dark:text-neutral-400">You</span>
    ) : u.disabled ? (
      <button
        className={secondarySmall}
        aria-label={`Enable ${u.username}`}
        disabled={busyId === u.id}
        onClick={() => void setDisabled(u, false)}
      >
        Enable
      </button>
    ) : (
      <button
        className={dangerSmall}
        aria-label={`Disable ${u.username}`}
        disabled={busyId === u.id}
        onClick={() => setConfirming(u)}
      >
        Disable
      </button>
    );

  return (
    <Pane title="Admin" onBack={onBack} wide>
      <Stats stats={stats} error={statsError} />

      <Card
        title="Users"
        description={
          page ? `${total} ${total === 1 ? 'account' : 'accounts'}${search ? ` match “${search}”` : ''}` : undefined
        }
      >
        <label className="relative mb-3 block">
          <span className="pointer-events-none absolute inset-y-0 left-3 flex items-center text-neutral-400">
            <SearchIcon />
          </span>
          <input
            type="search"
            aria-label="Search users"
            placeholder="Name, username or email"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            className="w-full rounded-xl border border-neutral-300 bg-white py-2 pr-3 pl-9 text-[15px] outline-none focus:border-accent focus:ring-2 focus:ring-accent/30 dark:border-neutral-700 dark:bg-neutral-900"
          />
        </label>

        {error && <RetryNotice onRetry={() => void loadUsers()}>{error}</RetryNotice>}
        {actionError && (
          <div className="mb-3">
            <Notice tone="error">{actionError}</Notice>
          </div>
        )}

        <div aria-busy={loading} className={loading && page ? 'opacity-60 transition-opacity' : undefined}>
          {!page && loading && <Skeleton />}
          {page && users.length === 0 && (
            <p className="py-8 text-center text-sm text-neutral-500">No users match “{search}”.</p>
          )}

          {/* Wide panes: a table. */}
          {users.length > 0 && (
            <table className="hidden w-full table-fixed text-left text-sm @3xl:table" aria-label="Users">
              <thead className="border-b border-neutral-200 text-xs text-neutral-500 uppercase dark:border-neutral-800 dark:text-neutral-400">
                <tr>
                  <th className="w-[30%] py-2 pr-3 font-medium">User</th>
                  <th className="px-2 py-2 font-medium">Email</th>
                  <th className="w-20 px-2 py-2 font-medium">Status</th>
                  <th className="w-28 px-2 py-2 font-medium">Created</th>
                  <th className="w-24 py-2 pl-2 text-right font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-neutral-100 dark:divide-neutral-800">
                {users.map((u) => (
                  <tr key={u.id} data-testid="admin-user">
                    <td className="py-2.5 pr-3">
                      <Who u={u} />
                    </td>
                    <td className="px-2 py-2.5">
                      <p className="truncate" title={u.email}>
                        {u.email}
                      </p>
                      <p className="mt-0.5">
                        <Verified u={u} />
                      </p>
                    </td>
                    <td className="px-2 py-2.5">
                      <Status u={u} />
                    </td>
                    <td className="px-2 py-2.5 whitespace-nowrap text-neutral-600 dark:text-neutral-400">
                      {dateLabel(u.created_at)}
                    </td>
                    <td className="py-2.5 pl-2 text-right">{actions(u)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          {/* Phones and narrow panes: one card per user. */}
          {users.length > 0 && (
            <ul aria-label="Users" className="space-y-2 @3xl:hidden">
              {users.map((u) => (
                <li
                  key={u.id}
                  data-testid="admin-user"
                  className="rounded-xl border border-neutral-200 p-3 dark:border-neutral-800"
                >
                  <div className="flex items-center gap-3">
                    <div className="min-w-0 flex-1">
                      <Who u={u} />
                    </div>
                    <div className="shrink-0">{actions(u)}</div>
                  </div>
                  <p className="mt-2 text-sm wrap-anywhere text-neutral-700 dark:text-neutral-300">{u.email}</p>
                  <div className="mt-2 flex flex-wrap items-center gap-1.5">
                    <Verified u={u} />
                    <Status u={u} />
                    <span className="text-xs text-neutral-500 dark:text-neutral-400">
                      Joined {dateLabel(u.created_at)}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>

        {page && total > PAGE_SIZE && (
          <nav aria-label="Pages" className="mt-3 flex items-center justify-between gap-3 text-sm">
            <span className="text-neutral-600 dark:text-neutral-400">
              {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {total}
            </span>
            <span className="flex gap-2">
              <button
                className={secondarySmall}
                disabled={offset === 0 || loading}
                onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
              >
                Previous
              </button>
              <button
                className={secondarySmall}
                disabled={offset + PAGE_SIZE >= total || loading}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Next
              </button>
            </span>
          </nav>
        )}
      </Card>

      {confirming && (
        <Dialog title={`Disable ${confirming.display_name}?`} onClose={() => setConfirming(null)}>
          <p className="text-[15px] text-neutral-700 dark:text-neutral-300">
            <span className="font-medium">@{confirming.username}</span> is signed out on every device at once and cannot
            sign in again until you enable the account. Their messages stay.
          </p>
          <div className="mt-5 flex justify-end gap-2">
            <button className={secondaryButton} onClick={() => setConfirming(null)} autoFocus>
              Cancel
            </button>
            <button
              className="rounded-xl bg-red-600 px-4 py-2 font-semibold text-white hover:bg-red-700 disabled:opacity-60"
              disabled={busyId === confirming.id}
              onClick={() => void setDisabled(confirming, true)}
            >
              Disable account
            </button>
          </div>
        </Dialog>
      )}
    </Pane>
  );
}

function Who({ u }: { u: AdminUser }) {
  return (
    <div className="flex min-w-0 items-center gap-3">
      <Avatar id={u.id} name={u.display_name} size={36} />
      <div className="min-w-0">
        <p className="flex items-center gap-1.5">
          <span className="truncate font-medium" title={u.display_name}>
            {u.display_name}
          </span>
          {u.role === 'admin' && <Badge tone="accent">Admin</Badge>}
        </p>
        <p className="truncate text-[13px] text-neutral-500 dark:text-neutral-400">@{u.username}</p>
      </div>
    </div>
  );
}

const Verified = ({ u }: { u: AdminUser }) =>
  u.email_verified ? <Badge tone="good">Verified</Badge> : <Badge tone="warn">Unverified</Badge>;

const Status = ({ u }: { u: AdminUser }) =>
  u.disabled ? <Badge tone="bad">Disabled</Badge> : <Badge tone="plain">Active</Badge>;

const STAT_LABELS: [keyof AdminStats, string][] = [
  ['users', 'Users'],
  ['online_now', 'Online now'],
  ['conversations', 'Chats'],
  ['messages', 'Messages'],
  ['disabled_users', 'Disabled'],
];

function Stats({ stats, error }: { stats: AdminStats | null; error: string | null }) {
  if (error) return <Notice tone="error">{error}</Notice>;
  return (
    <dl className="grid grid-cols-3 gap-2 @3xl:grid-cols-5 @3xl:gap-3" aria-label="Statistics">
      {STAT_LABELS.map(([key, label]) => (
        <div
          key={key}
          className="min-w-0 rounded-2xl border border-neutral-200 bg-white px-3 py-2.5 @3xl:px-4 @3xl:py-3 dark:border-neutral-800 dark:bg-neutral-900"
        >
          <dt className="truncate text-[13px] text-neutral-500 dark:text-neutral-400">{label}</dt>
          <dd className="mt-0.5 text-xl font-semibold tabular-nums @3xl:text-2xl" data-testid={`stat-${key}`}>
            {stats ? (
              stats[key].toLocaleString()
            ) : (
              <span className="inline-block h-7 w-12 animate-pulse rounded bg-neutral-200 align-middle dark:bg-neutral-800" />
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Skeleton() {
  return (
    <ul aria-hidden="true" className="space-y-3">
      {Array.from({ length: 4 }, (_, i) => (
        <SkeletonRow key={i} avatar="h-9 w-9" />
      ))}
    </ul>
  );
}
