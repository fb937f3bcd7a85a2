import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drip } from './drip';

describe('drip', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('runs 20 at once and the next 20 each half second, in order, each item once', async () => {
    const seen: number[] = [];
    drip(
      Array.from({ length: 45 }, (_, i) => i),
      20,
      500,
      (i) => seen.push(i),
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await vi.advanceTimersByTimeAsync(499);
    expect(seen).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toHaveLength(40);
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => i));
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toHaveLength(45);
  });

  it('schedules nothing for a batch or less', () => {
    const each = vi.fn();
    drip([1, 2], 20, 500, each);
    drip([], 20, 500, each);
    expect(each).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
