import { graphemes } from '../../../protocol/text.js';
const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/**
 * A time of day as the reader's locale writes it: "1:15 PM" where clocks have 12 hours (no
 * leading zero: "01:15 PM" reads oddly), "09:05" where they have 24.
 */
export function clockFormat(locales?: string | string[]): Intl.DateTimeFormat {
  const cycle = new Intl.DateTimeFormat(locales, { hour: 'numeric' }).resolvedOptions().hourCycle;
  const twelve = cycle === 'h11' || cycle === 'h12';
  return new Intl.DateTimeFormat(locales, { hour: twelve ? 'numeric' : '2-digit', minute: '2-digit' });
}
const CLOCK = clockFormat();
export const clock = (iso: string) => CLOCK.format(new Date(iso));

/** List time: HH:MM today, weekday this week, date before. */
export function listTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return clock(iso);
  const days = (now.getTime() - d.getTime()) / 86_400_000;
  if (days < 6) return d.toLocaleDateString([], { weekday: 'short' });
  return d.toLocaleDateString([], {
    day: 'numeric',
    month: 'short',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

/** Day separator: Today, Yesterday, or a date. */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (sameDay(d, now)) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  return d.toLocaleDateString([], {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

/**
 * "last seen today at 14:02"; `short` for a phone's header, where that does not fit beside the
 * call buttons: "last seen 14:02" today, "last seen yesterday" (no time) the day before.
 */
export function lastSeenLabel(iso: string | null | undefined, now = new Date(), short = false): string {
  if (!iso) return 'offline';
  const d = new Date(iso);
  if (sameDay(d, now)) return short ? `last seen ${clock(iso)}` : `last seen today at ${clock(iso)}`;
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return short ? 'last seen yesterday' : `last seen yesterday at ${clock(iso)}`;
  return `last seen ${d.toLocaleDateString([], { day: 'numeric', month: 'short' })}`;
}

/** The first character of each of the first two words, as a reader sees it (an emoji whole, not half of it). */
export const initials = (name: string) =>
  name
    .split(/[\s_.]+/)
    // A word's first letter, digit or emoji: not the quote or bracket before it ("Dave" → D).
    .map((w) => w.replace(/^[^\p{L}\p{N}\p{Extended_Pictographic}\p{Regional_Indicator}]+/u, ''))
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => graphemes.segment(w)[Symbol.iterator]().next().value!.segment.toUpperCase())
    .join('') || '?';

/** A stable colour per id, dark enough for white initials (WCAG AA). */
export function colourFor(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 55% 38%)`;
}

/** A file size as people read it: "820 B", "14 KB", "2.4 MB". */
export function humanSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1000;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** A letter of a right-to-left script: Hebrew, Arabic, Syriac, Thaana, N'Ko and the like. */
const RTL =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}]/u;

/**
 * The direction of a text, from its first letter (the rule of `dir="auto"`): "rtl" for one
 * written in Arabic, Hebrew and the like, so its lines start on the right.
 */
export function textDir(text: string): 'rtl' | 'ltr' {
  const first = /\p{L}/u.exec(text)?.[0];
  return first && RTL.test(first) ? 'rtl' : 'ltr';
}
