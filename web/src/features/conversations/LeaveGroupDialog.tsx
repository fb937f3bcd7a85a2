import { useState } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { ApiError } from '../../api/rest';
import { Dialog } from '../../components/Dialog';
import { leaveGroup } from '../../store/conversations';

/**
 * Asks before leaving a group. On leaving, the group goes from the list (the refresh answers
 * 404), and the app closes a conversation that is no longer there.
 */
export function LeaveGroupDialog({ c, onClose }: { c: Conversation; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const title = c.title ?? 'group';

  async function leave() {
    setBusy(true);
    setError(null);
    try {
      await leaveGroup(c.id);
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not leave the group. Check your connection.');
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Leave ${title}?`} onClose={onClose}>
      <p className="text-[15px] text-neutral-700 dark:text-neutral-300">
        You will stop getting its messages, and only an owner or admin can add you again.
      </p>
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="mt-5 flex justify-end gap-2">
        <button
          className="rounded-xl px-4 py-2 font-medium hover:bg-neutral-100 disabled:opacity-60 dark:hover:bg-neutral-800"
          disabled={busy}
          onClick={onClose}
        >
          Cancel
        </button>
        <button
          className="rounded-xl bg-red-600 px-4 py-2 font-semibold text-white hover:bg-red-700 disabled:opacity-60"
          disabled={busy}
          onClick={() => void leave()}
        >
          {busy ? 'Leaving…' : 'Leave'}
        </button>
      </div>
    </Dialog>
  );
}
