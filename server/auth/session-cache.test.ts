import { describe, expect, it } from 'vitest';
import { SessionCache } from './session-cache.js';

const later = new Date(Date.now() + 3_600_000);

function setup(ttlMs = 10_000, maxEntries?: number) {
  const bus = { healthy: true, gen: 1, isHealthy: () => bus.healthy, generation: () => bus.gen };
  return { bus, cache: new SessionCache(bus, ttlMs, maxEntries) };
}

describe('SessionCache', () => {
  it('knows a session once a check found it live, for its user only', () => {
    const { cache } = setup();
    expect(cache.isLive('s1', 'u1')).toBe(false);
    cache.begin('s1', 'u1')(later);
    expect(cache.isLive('s1', 'u1')).toBe(true);
    expect(cache.isLive('s1', 'u2')).toBe(false);
  });

  it('forgets a revoked session and every session of a disabled user', () => {
    const { cache } = setup();
    for (const [s, u] of [
      ['s1', 'u1'],
      ['s2', 'u1'],
      ['s3', 'u2'],
    ] as const) {
      cache.begin(s, u)(later);
    }
    cache.forgetSession('s3');
    expect(cache.isLive('s3', 'u2')).toBe(false);
    cache.forgetUser('u1');
    expect(cache.isLive('s1', 'u1')).toBe(false);
    expect(cache.isLive('s2', 'u1')).toBe(false);
  });

  it('drops the answer of a check that a revocation overtook', () => {
    const { cache } = setup();
    const remember = cache.begin('s1', 'u1'); // the check reads the database...
    cache.forgetSession('s1'); // ...while a logout commits and is published
    remember(later);
    expect(cache.isLive('s1', 'u1')).toBe(false);
  });

  it('trusts nothing while the bus is down, or learned before it reconnected', () => {
    const { bus, cache } = setup();
    cache.begin('s1', 'u1')(later);
    bus.healthy = false;
    expect(cache.isLive('s1', 'u1')).toBe(false);
    cache.begin('s2', 'u1')(later);
    bus.healthy = true;
    expect(cache.isLive('s2', 'u1')).toBe(false);

    cache.begin('s3', 'u1')(later);
    bus.gen++; // reconnected: what was published meanwhile never arrived
    expect(cache.isLive('s3', 'u1')).toBe(false);
    const remember = cache.begin('s4', 'u1');
    bus.gen++;
    remember(later);
    expect(cache.isLive('s4', 'u1')).toBe(false);
  });

  it('keeps a session no longer than the TTL or its own expiry; a TTL of 0 keeps nothing', () => {
    const { cache } = setup(10_000);
    cache.begin('s1', 'u1')(later);
    expect(cache.isLive('s1', 'u1', Date.now() + 9_000)).toBe(true);
    expect(cache.isLive('s1', 'u1', Date.now() + 11_000)).toBe(false);
    cache.begin('s2', 'u1')(new Date(Date.now() + 2_000));
    expect(cache.isLive('s2', 'u1', Date.now() + 3_000)).toBe(false);

    const off = setup(0).cache;
    off.begin('s1', 'u1')(later);
    expect(off.isLive('s1', 'u1')).toBe(false);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const { cache } = setup(10_000, 2);
    cache.begin('s1', 'u1')(later);
    cache.begin('s2', 'u1')(later);
    cache.begin('s3', 'u1')(later);
    expect(cache.size).toBe(2);
    expect(cache.isLive('s1', 'u1')).toBe(false);
    expect(cache.isLive('s3', 'u1')).toBe(true);
  });
});
