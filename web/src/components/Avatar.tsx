import { photos } from '../store/people';
import { useBlobUrl } from '../store/media';
import { useStore } from '../store/store';
import { colourFor, initials } from './format';

/**
 * A person's or a group's photo (`id`: theirs), or initials on a colour of their own (without
 * one, while it loads, and if it cannot be fetched). Decorative: the name is written beside it.
 */
export function Avatar({ id, name, online, size = 44 }: { id: string; name: string; online?: boolean; size?: number }) {
  const { url } = useBlobUrl(useStore(photos, (p) => p[id]) ?? null);
  return (
    <span className="relative inline-flex shrink-0" style={{ width: size, height: size }} aria-hidden="true">
      {url ? (
        <img
          data-testid="avatar-photo"
          src={url}
          alt=""
          draggable={false}
          className="h-full w-full rounded-full bg-neutral-200 object-cover dark:bg-neutral-700"
        />
      ) : (
        <span
          className="flex h-full w-full items-center justify-center rounded-full font-semibold text-white select-none"
          style={{ background: colourFor(id), fontSize: size * 0.38 }}
        >
          {initials(name)}
        </span>
      )}
      {online && (
        <span
          data-testid="online-dot"
          className="absolute right-0 bottom-0 h-3 w-3 rounded-full border-2 border-white bg-green-500 dark:border-neutral-900"
        />
      )}
    </span>
  );
}
