import { describe, expect, it } from 'vitest';
import { hasText, oneGrapheme, toWellFormed, wellFormed } from './text.js';

describe('text from clients', () => {
  it('hasText: something visible, not only spaces and invisible characters', () => {
    for (const s of ['a', ' x ', '😀', '1', '\u200bhi']) expect(hasText(s), JSON.stringify(s)).toBe(true);
    for (const s of ['', ' \n\t', '\u200b', '\u200d\ufe0f\ufeff', '\u2060\u00ad', '\u3164', '\u2800 '])
      expect(hasText(s), JSON.stringify(s)).toBe(false);
  });

  it('wellFormed: no lone surrogate; toWellFormed puts U+FFFD in its place', () => {
    expect(wellFormed('😀 abc')).toBe(true);
    for (const s of ['\ud83d', 'hi \ud83d there', '\ude00x', '😀\ud83d']) expect(wellFormed(s)).toBe(false);
    expect(toWellFormed('hi \ud83d there 😀')).toBe('hi \ufffd there 😀');
    expect(toWellFormed('\ude00\ud83d')).toBe('\ufffd\ufffd');
  });

  it('oneGrapheme: a skin tone, a family, a flag or a keycap is one; two emoji are not', () => {
    for (const s of ['👍', '👍🏽', '👨‍👩‍👧', '🇫🇷', '1️⃣', '🏳️‍🌈', 'a']) expect(oneGrapheme(s), s).toBe(true);
    for (const s of ['', '👍👎', 'ab', '\u200d\u200d🇦']) expect(oneGrapheme(s), s).toBe(false);
  });
});
