import { useEffect, useRef, type RefObject } from 'react';

/**
 * While `open`, a popup closes itself: `close('escape')` on Escape anywhere, `close('outside')`
 * on a press outside `inside` (a menu, a panel and the button that opens it).
 */
export function useDismiss(
  open: boolean,
  inside: RefObject<HTMLElement | null>,
  close: (how: 'escape' | 'outside') => void,
) {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && latest.current('escape');
    const onDown = (e: MouseEvent) => !inside.current?.contains(e.target as Node) && latest.current('outside');
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open, inside]);
}
