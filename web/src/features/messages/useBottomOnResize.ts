import { useCallback, useEffect, useRef, useState } from 'react';

/** How near the end a scroll position still counts as "at the bottom" (the list's atBottomThreshold). */
const NEAR = 48;

/**
 * Keeps a message list at its end when its window shrinks or grows: the connection banner
 * appearing above it, a phone's keyboard opening, the window resized. The list follows new
 * messages by itself, but not a change of its own height: the scroll position stays, and the
 * newest message slips under the composer. Whether the list was at its end is read from the
 * scroll position at the last scroll (a resize changes what the position means).
 * `follow`: false while newer messages are still to load (the end is not the latest).
 * Returns the ref callback for Virtuoso's `scrollerRef`.
 */
export function useBottomOnResize(follow: boolean) {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const followRef = useRef(follow);
  followRef.current = follow;

  useEffect(() => {
    if (!el) return;
    let atEnd = true;
    let height = el.clientHeight;
    const onScroll = () => {
      atEnd = el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR;
    };
    const observer = new ResizeObserver(() => {
      if (el.clientHeight === height) return;
      height = el.clientHeight;
      // The scroller itself, not the list's scrollToIndex: this may run before the list has
      // seen its new height, and it would aim at the old one.
      if (atEnd && followRef.current) el.scrollTop = el.scrollHeight;
    });
    el.addEventListener('scroll', onScroll, { passive: true });
    observer.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      observer.disconnect();
    };
  }, [el]);

  return useCallback((node: HTMLElement | Window | null) => setEl(node instanceof HTMLElement ? node : null), []);
}
