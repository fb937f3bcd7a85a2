import { describe, expect, it } from 'vitest';
import { backoffMs } from './socket';

describe('backoffMs', () => {
  it('doubles from half a second up to 15 s, with jitter in the upper half', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(10, () => 1)).toBe(15_000);
    expect(backoffMs(10, () => 0)).toBe(7_500);
  });
});
