/**
 * Runs `each` for `items` a batch at a time: `size` at once, the next batch `everyMs` later.
 * Used to stay inside the server's frame limit when many frames are due at once.
 */
export function drip<T>(items: readonly T[], size: number, everyMs: number, each: (item: T) => void): void {
  for (const item of items.slice(0, size)) each(item);
  if (items.length > size) setTimeout(() => drip(items.slice(size), size, everyMs, each), everyMs);
}
