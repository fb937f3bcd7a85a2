import { describe, expect, it } from 'vitest';
import { limitText } from './uploads.js';

describe('limitText', () => {
  it('states a limit in decimal units, rounded down, so no file it allows is refused', () => {
    expect(limitText(26_214_400)).toBe('26.2 MB'); // 25 MiB, the default: not "26 MB"
    expect(limitText(25_000_000)).toBe('25 MB');
    expect(limitText(65_536)).toBe('65.5 KB');
    expect(limitText(1_999_999_999)).toBe('1.9 GB');
    expect(limitText(999)).toBe('999 bytes');
  });
});
