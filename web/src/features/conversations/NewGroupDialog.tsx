import { useState, type FormEvent } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { LIMITS } from '../../../../protocol/limits.js';
import type { PublicUser } from '../../../../protocol/users.js';
import { api, ApiError } from '../../api/rest';
import { Dialog } from '../../components/Dialog';
import { LengthHint } from '../../components/LengthHint';
import { upsertConversation } from '../../store/conversations';
import { PeopleSearch } from './PeoplePicker';

export function NewGroupDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const [title, setTitle] = useState('');
  const [picked, setPicked] = useState<PublicUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  // Creating a group is not idempotent: one request at a time, or a double click makes two.
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const c = await api.post<Conversation>('/api/conversations', {
        type: 'group',
        title,
        member_ids: picked.map((u) => u.id),
      });
      upsertConversation(c);
      onCreated(c.id);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not create the group');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={create} className="space-y-3">
        <label className="block">
          <span className="mb-1 block text-sm font-medium">Group name</span>
          <input
            required
            maxLength={LIMITS.titleMax}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            className="w-full rounded-xl border border-neutral-300 px-3 py-2 outline-none focus:border-accent dark:border-neutral-700 dark:bg-neutral-800"
          />
          <LengthHint value={title} max={LIMITS.titleMax} />
        </label>
        <div>
          <span className="mb-1 block text-sm font-medium">Members</span>
          <PeopleSearch exclude={picked.map((u) => u.id)} onPick={(u) => setPicked((p) => [...p, u])} />
          <ul className="mt-2 flex flex-wrap gap-2" aria-label="Chosen members">
            {picked.map((u) => (
              <li
                key={u.id}
                className="flex items-center gap-1 rounded-full bg-accent-soft px-3 py-1 text-sm text-teal-900"
              >
                {u.display_name}
                <button
                  type="button"
                  aria-label={`Remove ${u.display_name}`}
                  onClick={() => setPicked((p) => p.filter((x) => x.id !== u.id))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        </div>
        {/* Kept in view at the dialog's foot while a long list of people scrolls above it (a phone). */}
        <div className="sticky -bottom-4 -mx-4 -mb-4 space-y-3 bg-white px-4 pt-2 pb-4 dark:bg-neutral-900">
          {error && (
            <p role="alert" className="text-sm text-red-600">
              {error}
            </p>
          )}
          <button
            type="submit"
            disabled={busy}
            className="w-full rounded-xl bg-accent py-2.5 font-semibold text-white hover:bg-accent-strong disabled:opacity-60"
          >
            {busy ? 'Creating…' : 'Create group'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
