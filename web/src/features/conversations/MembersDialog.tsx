import { useState } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { Dialog } from '../../components/Dialog';
import { refreshConversation, upsertConversation } from '../../store/conversations';
import { PeopleSearch } from './PeoplePicker';

export function MembersDialog({
  c,
  myId,
  onClose,
  onLeft,
}: {
  c: Conversation;
  myId: string;
  onClose: () => void;
  onLeft: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const myRole = c.members.find((m) => m.id === myId)?.role;
  const canManage = myRole === 'owner' || myRole === 'admin';

  async function run(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'That did not work');
    }
  }

  return (
    <Dialog title={`Members of ${c.title ?? 'group'}`} onClose={onClose}>
      {canManage && (
        <div className="mb-3">
          <PeopleSearch
            exclude={c.members.map((m) => m.id)}
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
          return (
            <li key={m.id} className="flex items-center gap-3 py-2">
              <Avatar id={m.id} name={m.display_name} size={36} />
              <span className="min-w-0 flex-1">
                <span className="block truncate font-medium">
                  {m.display_name} {m.id === myId && <span className="text-neutral-500">(you)</span>}
                </span>
                <span className="block text-sm text-neutral-500">@{m.username}</span>
              </span>
              {m.role !== 'member' && (
                <span className="rounded-full bg-neutral-100 px-2 py-0.5 text-xs capitalize dark:bg-neutral-800">
                  {m.role}
                </span>
              )}
              {removable && (
                <button
                  className="rounded-full px-2 py-1 text-sm text-red-600 hover:bg-red-50 dark:hover:bg-red-950"
                  aria-label={`Remove ${m.display_name}`}
                  onClick={() =>
                    run(async () => {
                      await api.del(`/api/conversations/${c.id}/members/${m.id}`);
                      await refreshConversation(c.id);
                    })
                  }
                >
                  Remove
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {error}
        </p>
      )}
      <button
        className="mt-4 w-full rounded-xl border border-red-200 py-2 font-semibold text-red-600 hover:bg-red-50 dark:border-red-900 dark:hover:bg-red-950"
        onClick={() =>
          run(async () => {
            await api.del(`/api/conversations/${c.id}/members/me`);
            await refreshConversation(c.id);
            onClose();
            onLeft();
          })
        }
      >
        Leave group
      </button>
    </Dialog>
  );
}
