import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let t = 0;
    const b = new TokenBucket(10, 3, () => t);
    expect([b.take().ok, b.take().ok, b.take().ok]).toEqual([true, true, true]);
    const denied = b.take();
    expect(denied).toEqual({ ok: false, retryAfterMs: 100 });
    t = 100;
    expect(b.take().ok).toBe(true);
    expect(b.take().ok).toBe(false);
    t = 10_000;
    expect([b.take().ok, b.take().ok, b.take().ok, b.take().ok]).toEqual([true, true, true, false]);
  });
});
