/**
 * A placeholder row while a list loads: a round avatar and two lines of text, pulsing. Hidden
 * from screen readers (the list's own loading state speaks for it).
 */
export function SkeletonRow({
  avatar,
  lines = ['w-1/3', 'w-1/2'],
  className = '',
}: {
  /** The avatar's Tailwind size class, as the real row's: `h-10 w-10`. */
  avatar: string;
  /** Each line's width class. */
  lines?: [string, string];
  /** The real row's padding. */
  className?: string;
}) {
  return (
    <li className={`flex animate-pulse items-center gap-3 ${className}`} aria-hidden="true">
      <span className={`${avatar} rounded-full bg-neutral-200 dark:bg-neutral-800`} />
      <span className="flex-1 space-y-2">
        {lines.map((w, i) => (
          <span key={i} className={`block h-3 ${w} rounded bg-neutral-200 dark:bg-neutral-800`} />
        ))}
      </span>
    </li>
  );
}
