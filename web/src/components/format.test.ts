import { describe, expect, it } from 'vitest';
import { clockFormat, dayLabel, humanSize, initials, lastSeenLabel, listTime, textDir } from './format';

const now = new Date(2026, 10, 23, 15, 0);

describe('format', () => {
  it('labels days as Today, Yesterday, or a date', () => {
    expect(dayLabel(new Date(2026, 10, 23, 9).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 22, 23).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 9, 1).toISOString(), now)).toMatch(/1/);
  });

  it('shows a time today, a weekday this week, and a date before that in the list', () => {
    expect(listTime(new Date(2026, 10, 23, 9, 5).toISOString(), now)).toMatch(/09.05|9.05/);
    expect(listTime(new Date(2026, 10, 20, 9).toISOString(), now)).toMatch(/^[A-Z][a-z]{2}/);
    expect(listTime(new Date(2026, 5, 2).toISOString(), now)).toMatch(/2/);
  });

  it('writes a time of day as the locale does, with no leading zero on a 12-hour clock', () => {
    const nine = new Date(2026, 10, 23, 9, 5);
    expect(clockFormat('en-US').format(nine)).toMatch(/^9:05\sAM$/);
    expect(clockFormat('en-GB').format(nine)).toBe('09:05');
    expect(clockFormat('de-DE').format(new Date(2026, 10, 23, 21, 5))).toBe('21:05');
  });

  it('says last seen and makes initials', () => {
    expect(lastSeenLabel(new Date(2026, 10, 23, 14, 2).toISOString(), now)).toMatch(/^last seen today at \d/);
    expect(lastSeenLabel(new Date(2026, 10, 22, 21, 30).toISOString(), now)).toMatch(/^last seen yesterday at \d/);
    // Short, for a phone's header.
    expect(lastSeenLabel(new Date(2026, 10, 23, 14, 2).toISOString(), now, true)).toMatch(/^last seen \d{1,2}:02/);
    expect(lastSeenLabel(new Date(2026, 10, 22, 21, 30).toISOString(), now, true)).toBe('last seen yesterday');
    expect(lastSeenLabel(null, now)).toBe('offline');
    expect(initials('Alice Adams')).toBe('AA');
    expect(initials('bob_brown')).toBe('BB');
    expect(initials('   ')).toBe('?');
    // Emoji whole, not half a surrogate pair (a lone one renders as �); a flag is two code points.
    expect(initials('Hiking 🥾')).toBe('H🥾');
    expect(initials('🇫🇷 club')).toBe('🇫🇷C');
    // Quotes, brackets and dashes are not initials.
    expect(initials('David "Dave" Davis')).toBe('DD');
    expect(initials('(Team) -Ops')).toBe('TO');
    expect(initials('«Élise» Ünal')).toBe('ÉÜ');
    expect(initials('!!! ...')).toBe('?');
  });

  it('writes file sizes as people read them', () => {
    expect(humanSize(820)).toBe('820 B');
    expect(humanSize(14_200)).toBe('14 KB');
    expect(humanSize(2_400_000)).toBe('2.4 MB');
    expect(humanSize(25 * 1024 * 1024)).toBe('26 MB');
  });
});

describe('textDir', () => {
  it('follows the first letter, past digits, punctuation and emoji', () => {
    expect(textDir('مرحبا بك في تطبيق الدردشة، كيف حالك اليوم؟')).toBe('rtl');
    expect(textDir('שלום! מה שלומך? 123 ok')).toBe('rtl');
    expect(textDir('123 — 👋 שלום')).toBe('rtl');
    expect(textDir('ok שלום')).toBe('ltr');
    expect(textDir('Привет, 世界')).toBe('ltr');
    expect(textDir('123 !?')).toBe('ltr');
    expect(textDir('')).toBe('ltr');
  });
});
