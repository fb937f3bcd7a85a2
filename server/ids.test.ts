import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isUuid, uuidv7 } from './ids.js';

describe('uuidv7', () => {
  it('is a valid version 7, variant 10 UUID carrying the time', () => {
    const at = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    const id = uuidv7(at + 1e7); // later than any id made so far in this process
    expect(isUuid(id)).toBe(true);
    expect(z.uuid().safeParse(id).success).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at + 1e7);
  });

  it('sorts in the order made, within a millisecond and when the clock steps back', () => {
    const base = Date.now() + 2e7;
    const ids = [
      ...Array.from({ length: 5000 }, () => uuidv7(base)), // more than the 4,096 a millisecond holds
      uuidv7(base - 5), // a clock that stepped back
      uuidv7(base + 1),
      ...Array.from({ length: 100 }, () => uuidv7()),
    ];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
