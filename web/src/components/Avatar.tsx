import { colourFor, initials } from './format';

export function Avatar({ id, name, online, size = 44 }: { id: string; name: string; online?: boolean; size?: number }) {
  return (
    <span className="relative inline-flex shrink-0" style={{ width: size, height: size }} aria-hidden="true">
      <span
        className="flex h-full w-full items-center justify-center rounded-full font-semibold text-white select-none"
        style={{ background: colourFor(id), fontSize: size * 0.38 }}
      >
        {initials(name)}
      </span>
      {online && (
        <span
          data-testid="online-dot"
          className="absolute right-0 bottom-0 h-3 w-3 rounded-full border-2 border-white bg-green-500 dark:border-neutral-900"
        />
      )}
    </span>
  );
}
