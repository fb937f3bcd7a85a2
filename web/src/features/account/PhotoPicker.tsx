import { useRef, useState } from 'react';
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
 * "Add photo" / "Change photo" and "Remove photo" for the photo at `path` (PUT a new one, DELETE
 * it): the user's own, or a group's. The server crops it to a square; `onSaved` gets its answer
 * (the account, the group), and everyone concerned sees the new photo at once.
 */
export function PhotoPicker<T>({
  hasPhoto,
  path,
  onSaved,
  label,
}: {
  hasPhoto: boolean;
  path: string;
  onSaved: (saved: T) => void;
  /** What the file chooser is called: "Choose a profile photo". */
  label: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = progress !== null;

  /** A change of the photo: what the server answers, or what went wrong. */
  async function change(save: () => Promise<T>) {
    setError(null);
    setProgress(0);
    try {
      onSaved(await save());
    } catch (err) {
      setError(problem(err));
    } finally {
      setProgress(null);
    }
  }
  const upload = (file: File) => change(() => uploadFile<T>(file, setProgress, { method: 'PUT', path }).done);
  const remove = () => change(() => api.del<T>(path));

  return (
    <div className="flex min-w-0 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className={secondarySmall} disabled={busy} onClick={() => input.current?.click()}>
          {hasPhoto ? 'Change photo' : 'Add photo'}
        </button>
        {hasPhoto && (
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
        aria-label={label}
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
