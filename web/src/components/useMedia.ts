import { useCallback, useSyncExternalStore } from 'react';

/** Two panes side by side: the `wide` breakpoint of styles.css (`--breakpoint-wide`). */
export const WIDE = '(min-width: 641px)';

/** Whether a media query matches now, kept current (a window resized, a phone turned). */
export function useMedia(query: string): boolean {
  const subscribe = useCallback(
    (changed: () => void) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', changed);
      return () => list.removeEventListener('change', changed);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => window.matchMedia(query).matches);
}
