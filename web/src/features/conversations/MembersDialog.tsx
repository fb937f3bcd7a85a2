import { useState, type FormEvent } from 'react';
import type { Conversation, Member } from '../../../../protocol/conversations.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { Dialog } from '../../components/Dialog';
import { LengthHint } from '../../components/LengthHint';
import { refreshConversation, upsertConversation } from '../../store/conversations';
import { PhotoPicker } from '../account/PhotoPicker';
import { PeopleSearch } from './PeoplePicker';

/** Row actions: tall enough to tap (40 px) and apart, so a slip does not remove someone. */
const smallButton = 'min-h-10 rounded-full px-3 text-sm font-medium';

/**
 * A group's photo and members. Owners and admins change the photo, rename the group, add people and remove members
 * (admins: members only); the owner makes members admins and back. Anyone can leave.
 */
export function MembersDialog({
  c,
  myId,
  onClose,
  onLeave,
}: {
  c: Conversation;
  myId: string;
  onClose: () => void;
  /** Asks to leave (a confirmation follows). */
  onLeave: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The member whose removal is being confirmed. */
  const [removing, setRemoving] = useState<string | null>(null);
  /** After a cancelled removal, that member's Remove button takes the focus back. */
  const [refocus, setRefocus] = useState<string | null>(null);
  // A member who left (or was removed elsewhere) meanwhile takes the question with them.
  if (removing && !c.members.some((m) => m.id === removing)) setRemoving(null);
  const myRole = c.members.find((m) => m.id === myId)?.role;
  const canManage = myRole === 'owner' || myRole === 'admin';

  async function run(action: () => Promise<unknown>) {
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'That did not work. Check your connection.');
    } finally {
      setBusy(false);
    }
  }

  const setRole = (m: Member, role: 'admin' | 'member') =>
    run(async () =>
      upsertConversation(await api.patch<Conversation>(`/api/conversations/${c.id}/members/${m.id}`, { role })),
    );

  return (
    <Dialog title={`Members of ${c.title ?? 'group'}`} onClose={onClose}>
      <div className="mb-4 flex items-center gap-3">
        <Avatar id={c.id} name={c.title ?? 'Group'} size={64} />
        {canManage ? (
          <PhotoPicker<Conversation>
            hasPhoto={!!c.avatar_id}
            path={`/api/conversations/${c.id}/avatar`}
            onSaved={upsertConversation}
            label="Choose a group photo"
          />
        ) : (
          <p className="min-w-0 truncate text-base font-semibold">{c.title}</p>
        )}
      </div>
      {canManage && <RenameForm c={c} busy={busy} run={run} />}
      {canManage && (
        <div className="mb-3">
          <PeopleSearch
            exclude={c.members.map((m) => m.id)}
            excludedNote="Already in the group"
            onPick={(u) =>
              run(async () =>
                upsertConversation(
                  await api.post<Conversation>(`/api/conversations/${c.id}/members`, { user_ids: [u.id] }),
                ),
              )
            }
          />
        </div>
      )}
      <ul aria-label="Members" className="divide-y divide-neutral-100 dark:divide-neutral-800">
        {c.members.map((m) => {
          const removable = m.id !== myId && (myRole === 'owner' || (myRole === 'admin' && m.role === 'member'));
          const roleChangeable = myRole === 'owner' && m.id !== myId && m.role !== 'owner';
          return (
            <li key={m.id} className="flex items-start gap-3 py-2">
              <Avatar id={m.id} name={m.display_name} size={36} />
              <span className="min-w-0 flex-1">
                <span className="block truncate font-medium">
                  {m.display_name} {m.id === myId && <span className="text-neutral-500">(you)</span>}
                </span>
                <span className="block truncate text-sm text-neutral-500">@{m.username}</span>
                {(roleChangeable || removable) && (
                  <span className="-ml-3 flex flex-wrap gap-3 pt-1">
                    {roleChangeable && (
                      <button
                        className={`${smallButton} text-accent hover:bg-accent-soft/60 dark:text-teal-400 dark:hover:bg-teal-900/40`}
                        aria-label={`${m.role === 'admin' ? 'Dismiss as admin' : 'Make admin'}: ${m.display_name}`}
                        disabled={busy}
                        onClick={() => void setRole(m, m.role === 'admin' ? 'member' : 'admin')}
                      >
                        {m.role === 'admin' ? 'Dismiss as admin' : 'Make admin'}
                      </button>
                    )}
                    {removable && removing !== m.id && (
                      <button
                        className={`${smallButton} text-red-600 hover:bg-red-50 dark:text-red-400 dark:hover:bg-red-950`}
                        aria-label={`Remove ${m.display_name}`}
                        disabled={busy}
                        ref={(el) => {
                          if (el && refocus === m.id) {
                            el.focus();
                            setRefocus(null);
                          }
                        }}
                        onClick={() => setRemoving(m.id)}
                      >
                        Remove
                      </button>
                    )}
                  </span>
                )}
                {removable && removing === m.id && (
                  <span
                    role="group"
                    aria-label={`Remove ${m.display_name} from the group?`}
                    // Esc answers the question (as Cancel does); the dialog stays open.
                    onKeyDown={(e) => {
                      if (e.key !== 'Escape') return;
                      e.preventDefault();
                      e.stopPropagation();
                      setRemoving(null);
                      setRefocus(m.id);
                    }}
                    className="mt-1 flex flex-wrap items-center gap-1 rounded-xl bg-red-50 px-2 py-1.5 dark:bg-red-950/60"
                  >
                    <span className="mr-auto text-sm text-red-800 dark:text-red-200">Remove from the group?</span>
                    <span className="ml-auto flex gap-1">
                      <button
                        className={`${smallButton} hover:bg-white/70 dark:hover:bg-neutral-800`}
                        // The safe answer has the focus: Enter keeps the member.
                        autoFocus
                        disabled={busy}
                        onClick={() => {
                          setRemoving(null);
                          setRefocus(m.id);
                        }}
                      >
                        Cancel
                      </button>
                      <button
                        className={`${smallButton} bg-red-600 text-white hover:bg-red-700 disabled:opacity-60`}
                        aria-label={`Yes, remove ${m.display_name}`}
                        disabled={busy}
                        onClick={() =>
                          void run(async () => {
                            await api.del(`/api/conversations/${c.id}/members/${m.id}`);
                            await refreshConversation(c.id);
                            setRemoving(null);
                          })
                        }
                      >
                        Remove
                      </button>
                    </span>
                  </span>
                )}
              </span>
              {m.role !== 'member' && (
                <span className="mt-0.5 rounded-full bg-neutral-100 px-2 py-0.5 text-xs capitalize dark:bg-neutral-800">
                  {m.role}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <button
        className="mt-4 w-full rounded-xl border border-red-200 py-2 font-semibold text-red-600 hover:bg-red-50 dark:border-red-900 dark:text-red-400 dark:hover:bg-red-950"
        onClick={onLeave}
      >
        Leave group
      </button>
    </Dialog>
  );
}

/** The group's name, for owners and admins; saved when changed. Until edited, it follows renames by others. */
function RenameForm({
  c,
  busy,
  run,
}: {
  c: Conversation;
  busy: boolean;
  run: (action: () => Promise<unknown>) => Promise<void>;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const title = draft ?? c.title ?? '';
  const trimmed = title.trim();
  const changed = trimmed.length > 0 && trimmed !== (c.title ?? '');

  function save(e: FormEvent) {
    e.preventDefault();
    if (!changed) return;
    void run(async () => {
      upsertConversation(await api.patch<Conversation>(`/api/conversations/${c.id}`, { title: trimmed }));
      setDraft(null);
    });
  }

  return (
    <form onSubmit={save} className="mb-4">
      <label htmlFor="group-name" className="mb-1 block text-sm font-medium text-neutral-700 dark:text-neutral-300">
        Group name
      </label>
      <div className="flex gap-2">
        <input
          id="group-name"
          value={title}
          onChange={(e) => setDraft(e.target.value)}
          maxLength={LIMITS.titleMax}
          required
          className="min-w-0 flex-1 rounded-xl border border-neutral-300 bg-white px-3 py-2 text-[15px] outline-none focus:border-accent focus:ring-2 focus:ring-accent/30 dark:border-neutral-700 dark:bg-neutral-900"
        />
        <button
          type="submit"
          disabled={!changed || busy}
          className="shrink-0 rounded-xl bg-accent px-4 py-2 font-semibold text-white hover:bg-accent-strong disabled:opacity-50"
        >
          Save
        </button>
      </div>
      <LengthHint value={title} max={LIMITS.titleMax} />
    </form>
  );
}
