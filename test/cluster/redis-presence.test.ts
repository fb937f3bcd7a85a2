import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnRedis, waitFor } from '../helpers/processes.js';
import { createRedisPresence } from '../../server/presence/redis-presence.js';

// Presence entries in Redis are renewed in chunks of users per call (server/presence/
// redis-presence.ts): every user of every chunk stays online past the TTL, and a user whose
// entry was lost is announced again, once.
const TTL_MS = 900;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let admin: Redis;
beforeAll(async () => {
  redis = await spawnRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.kill('SIGKILL');
});

it('renews more users than a chunk holds past the TTL, and announces again exactly those whose entry was lost', async () => {
  const node = createRedisPresence(redis.url, randomUUID(), TTL_MS, pino({ level: 'silent' }));
  const revived: string[] = [];
  node.onRevived((userId) => revived.push(userId));
  try {
    await waitFor(async () => (await admin.ping()) === 'PONG', 'redis');
    // The presence client connects by itself: a connect before it is ready goes by what the
    // node knows and writes nothing to Redis (undone here until one does).
    const users = Array.from({ length: 1_234 }, () => randomUUID());
    await waitFor(async () => {
      await node.connect(users[0]!, `s-${users[0]}`);
      if ((await admin.exists(`chatify:presence:${users[0]}`)) === 1) return true;
      await node.disconnect(users[0]!, `s-${users[0]}`);
      return false;
    }, 'presence ready');
    for (const u of users.slice(1)) expect((await node.connect(u, `s-${u}`)).cameOnline).toBe(true);

    // Three TTLs later every entry is still live: renewed, chunk after chunk.
    await new Promise((r) => setTimeout(r, 3 * TTL_MS));
    expect(await node.countOnline()).toBe(users.length);
    expect(revived).toEqual([]);

    // Entries lost (as with a Redis that restarted empty): the next renewal finds those users
    // with no live entry, puts them back and announces them, once each.
    const lost = users.filter((_, i) => i % 7 === 0);
    await admin.del(...lost.map((u) => `chatify:presence:${u}`));
    await waitFor(async () => revived.length >= lost.length, 'revivals', 5_000);
    await new Promise((r) => setTimeout(r, TTL_MS));
    expect(revived.sort()).toEqual([...lost].sort());
    expect(await node.countOnline()).toBe(users.length);

    // A user who left is neither renewed nor announced.
    const gone = users[1]!;
    expect((await node.disconnect(gone, `s-${gone}`)).wentOffline).toBe(true);
    await new Promise((r) => setTimeout(r, 2 * TTL_MS));
    expect(await admin.hexists(`chatify:presence:${gone}`, 'x')).toBe(0);
    expect(await node.countOnline()).toBe(users.length - 1);
  } finally {
    await node.close();
  }
});
