import { randomFillSync } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs in the database; anything else cannot name a row (and must not reach a uuid cast). */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : (d instanceof Date ? d : new Date(d)).toISOString();

export const isoNow = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

// uuidv7(): the last millisecond used and a counter within it (RFC 9562, method 1).
let lastMs = 0;
let counter = 0;
const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter, then 62 random
 * bits. Ids made later by this process sort later, so rows keyed by them are appended to the
 * end of the primary-key index instead of written into random pages of it, and the ids sort
 * by time. Within one millisecond the counter keeps them in order; past 4,096 ids in one
 * millisecond the clock is moved on by one.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool.subarray(poolAt, (poolAt += 16));
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
