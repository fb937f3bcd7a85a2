import { useCallback, useLayoutEffect, useRef, type RefCallback } from 'react';

/**
 * A text bubble as narrow as its lines. CSS sizes a bubble to its text on one line
 * (shrink-to-fit), capped at the column's width; once the text wraps, or the time beside it
 * goes to a line of its own, the bubble takes the whole cap and leaves a blank strip on the
 * right of its lines. Here, after layout and before paint, each such bubble is measured (the
 * right edge of each line, where the time sits) and given the width its lines need. Bubbles
 * are measured in batches (every write, then every read, then every write: one layout for
 * the lot), again when its row's size or the fonts change. Decision 035.
 */

// Bubbles' text boxes (the element holding a bubble's quote, text and time, `data-meta`): those
// to fit at the next flush, and those on the page.
const pending = new Set<HTMLElement>();
const mounted = new Set<HTMLElement>();
let scheduled = false;
/** The rows (full width, whatever a bubble's width) whose box is refitted when they resize. */
const rowBox = new WeakMap<Element, HTMLElement>();
let rows: ResizeObserver | null = null;

/** What a box's lines need, in px (its padding excluded), or null to leave it as it is. */
function need(box: HTMLElement, bubble: HTMLElement, range: Range): number | null {
  const text = box.querySelector<HTMLElement>('[data-testid="message-text"]');
  const meta = box.querySelector<HTMLElement>('[data-meta]');
  if (!text || !meta) return null;
  const style = getComputedStyle(box);
  const left = box.getBoundingClientRect().left + parseFloat(style.paddingLeft);
  range.selectNodeContents(text);
  const lines = range.getClientRects();
  if (lines.length === 0) return null;
  let right = 0;
  let last = lines[0]!;
  for (const r of lines) {
    right = Math.max(right, r.right - left);
    if (r.bottom > last.bottom + 0.5 || (Math.abs(r.bottom - last.bottom) <= 0.5 && r.right > last.right)) last = r;
  }
  const m = meta.getBoundingClientRect();
  const metaMargin = parseFloat(getComputedStyle(meta).marginLeft);
  // The time beside the last line, or on a line of its own.
  let width =
    m.top < last.bottom ? Math.max(right, last.right - left + metaMargin + m.width) : Math.max(right, m.width);
  // The quote (its lines are cut short with an ellipsis) asks for its whole text, as CSS does.
  const quote = box.querySelector<HTMLElement>('[data-testid="reply-quote"]');
  if (quote) {
    const inner = Math.max(...Array.from(quote.children, (c) => (c as HTMLElement).scrollWidth));
    width = Math.max(width, inner + quote.offsetWidth - quote.clientWidth + paddingX(quote));
  }
  // The sender's name above, in a group.
  const name = bubble.querySelector<HTMLElement>('[data-testid="sender-name"]');
  if (name) {
    range.selectNodeContents(name);
    width = Math.max(width, range.getBoundingClientRect().width + paddingX(name) - paddingX(box));
  }
  return width;
}

const paddingX = (el: HTMLElement) => {
  const s = getComputedStyle(el);
  return parseFloat(s.paddingLeft) + parseFloat(s.paddingRight);
};

function flush() {
  scheduled = false;
  const boxes = Array.from(pending).filter((b) => b.isConnected);
  pending.clear();
  const bubbles = boxes.map((b) => b.parentElement);
  for (const bubble of bubbles) if (bubble) bubble.style.width = '';
  const range = document.createRange();
  const widths = boxes.map((box, i) => {
    const bubble = bubbles[i];
    // Only a bubble that holds its box alone (and maybe the name): a failed send's buttons
    // below it need their own width.
    if (!bubble || Array.from(bubble.children).some((c) => c !== box && !c.matches('[data-testid="sender-name"]')))
      return null;
    const lines = need(box, bubble, range);
    if (lines === null) return null;
    // Whole px, and one to spare (a line that fits exactly may wrap). Any narrower than the
    // bubble is set: "a px or more" left a bubble up to 3 px wider than its lines.
    const wanted = Math.ceil(lines + paddingX(box)) + 1;
    return wanted < bubble.getBoundingClientRect().width ? wanted : null;
  });
  boxes.forEach((_, i) => {
    const bubble = bubbles[i];
    const w = widths[i];
    if (bubble && w != null) bubble.style.width = `${w}px`;
  });
}

function schedule(box: HTMLElement) {
  pending.add(box);
  if (scheduled) return;
  scheduled = true;
  // After React's commit (layout effects) and before the browser paints.
  queueMicrotask(flush);
}

function refitAll() {
  for (const box of mounted) schedule(box);
}

function observer(): ResizeObserver {
  if (!rows) {
    rows = new ResizeObserver((entries) => {
      for (const e of entries) {
        const box = rowBox.get(e.target);
        if (box) schedule(box);
      }
    });
    document.fonts?.addEventListener?.('loadingdone', refitAll);
  }
  return rows;
}

function attach(el: HTMLElement) {
  const row = el.closest('[data-testid="message-row"]');
  if (row) {
    rowBox.set(row, el);
    observer().observe(row); // its first report fits the bubble
  }
  mounted.add(el);
  return () => {
    if (row) rows?.unobserve(row);
    mounted.delete(el);
    pending.delete(el);
    el.parentElement?.style.removeProperty('width');
  };
}

/**
 * Fits the bubble around the box this ref is given (see above): when the box is put on the
 * page, when its row resizes, and after every later render of it (an edit, the ticks).
 */
export function useFitBubble(): RefCallback<HTMLElement> {
  const box = useRef<HTMLElement | null>(null);
  const rendered = useRef(false);
  useLayoutEffect(() => {
    if (box.current && rendered.current) schedule(box.current);
    rendered.current = true;
  });
  return useCallback((el: HTMLElement | null) => {
    box.current = el;
    if (!el) return;
    const detach = attach(el);
    return () => {
      box.current = null;
      detach();
    };
  }, []);
}
