import { useRef, useState } from 'react';
import type { SelfUser } from '../../../../protocol/users.js';
import { api, ApiError } from '../../api/rest';
import { uploadFile } from '../../api/upload';
import { Notice, secondarySmall } from './ui';

const ACCEPTED = 'image/jpeg,image/png,image/webp,image/gif';

const problem = (err: unknown) =>
  err instanceof ApiError && err.status === 415
    ? 'That file could not be read as a photo. Choose a JPEG, PNG, WebP or GIF image.'
    : err instanceof Error
      ? err.message
      : 'Could not change the photo';

/**
 * The user's photo with "Add photo" / "Change photo" and "Remove". The server crops it to a
 * square; everyone who shares a chat sees the new one at once.
 */
export function PhotoPicker({ me }: { me: SelfUser }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = progress !== null;

  /** A change of the photo: the account as the server answers it, or what went wrong. */
  async function change(save: () => Promise<SelfUser>) {
    setError(null);
    setProgress(0);
    try {
      api.setSelf(await save());
    } catch (err) {
      setError(problem(err));
    } finally {
      setProgress(null);
    }
  }
  const upload = (file: File) =>
    change(() => uploadFile<SelfUser>(file, setProgress, { method: 'PUT', path: '/api/users/me/avatar' }).done);
  const remove = () => change(() => api.del<SelfUser>('/api/users/me/avatar'));

  return (
    <div className="flex min-w-0 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className={secondarySmall} disabled={busy} onClick={() => input.current?.click()}>
          {me.avatar_id ? 'Change photo' : 'Add photo'}
        </button>
        {me.avatar_id && (
          <button type="button" className={secondarySmall} disabled={busy} onClick={() => void remove()}>
            Remove photo
          </button>
        )}
        {busy && (
          <span role="status" className="text-sm text-neutral-500 dark:text-neutral-400">
            {progress > 0 && progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : 'Saving…'}
          </span>
        )}
      </div>
      <input
        ref={input}
        type="file"
        accept={ACCEPTED}
        className="hidden"
        aria-label="Choose a profile photo"
        data-testid="photo-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = ''; // the same file again is a new choice
          if (file) void upload(file);
        }}
      />
      {error && <Notice tone="error">{error}</Notice>}
    </div>
  );
}
