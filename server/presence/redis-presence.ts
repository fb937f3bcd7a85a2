import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisOptions } from '../bus/redis-bus.js';
import { createMemoryPresence, type Presence } from './presence.js';

const USER_KEY = 'chatify:presence:';
const EXPIRY_KEY = 'chatify:presence:expiry';

// Counts the node entries of a user that are still live (expiresAt > now), other than ARGV[1].
const LIVE_OTHERS = `
local fields = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] and tonumber(fields[i + 1]) > tonumber(ARGV[2]) then live = live + 1 end
end
`;

/** This node holds the user now. Returns 1 when no other node did (the user came online). */
const CONNECT = `${LIVE_OTHERS}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
if live == 0 then return 1 else return 0 end`;

/** This node no longer holds the user. Returns 1 when no other node does (the user went offline). */
const DISCONNECT = `${LIVE_OTHERS}
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[5])
if live == 0 then return 1 else return 0 end`;

/**
 * A node's entry expired (the node died or lost Redis). Exactly one node wins the ZREM and
 * handles it; returns 1 when that leaves the user with no live entry, -1 when not ours to handle.
 */
const EXPIRE = `
local score = redis.call('ZSCORE', KEYS[2], ARGV[5])
if not score or tonumber(score) > tonumber(ARGV[2]) then return -1 end
redis.call('ZREM', KEYS[2], ARGV[5])
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and tonumber(v) > tonumber(ARGV[2]) then
  -- Renewed between its HSET and its ZADD: keep it, with the right score.
  redis.call('ZADD', KEYS[2], v, ARGV[5])
  return -1
end
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
${LIVE_OTHERS}
if live == 0 then return 1 else return 0 end`;

/**
 * Renews this node's entries of many users in one call: KEYS[1] is the expiry set, KEYS[2..]
 * the users' keys; ARGV[1..4] as for one user, ARGV[5..] the users' expiry members. Returns
 * the positions (1-based) of the users who had no live entry at all (this one had expired or
 * was lost with Redis): they were reported offline and must be announced again.
 */
const RENEW = `
local revived = {}
for k = 2, #KEYS do
  local fields = redis.call('HGETALL', KEYS[k])
  local live = 0
  for i = 1, #fields, 2 do
    if tonumber(fields[i + 1]) > tonumber(ARGV[2]) then live = live + 1 end
  end
  redis.call('HSET', KEYS[k], ARGV[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[k], ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[k + 3])
  if live == 0 then revived[#revived + 1] = k - 1 end
end
return revived`;
/**
 * Users renewed per call. One call per user (a pipeline of thousands of commands every few
 * seconds) left megabytes of garbage per renewal on a node holding many users: its memory
 * per idle socket grew by a third in 30 idle seconds.
 */
const RENEW_CHUNK = 500;

type ScriptClient = Redis &
  Record<
    'presenceConnect' | 'presenceDisconnect' | 'presenceExpire',
    (...args: (string | number)[]) => Promise<number>
  > &
  Record<'presenceRenew', (...args: (string | number)[]) => Promise<number[]>>;

/**
 * Presence across nodes. Each node counts its own sockets in memory and keeps one entry per
 * online user in Redis (`chatify:presence:<user>` field <node> = expiresAt), renewed every
 * third of the TTL. A node that dies stops renewing; any live node's sweeper then finds the
 * expired entry, and if it was the user's last, reports the user offline.
 */
export function createRedisPresence(
  url: string,
  nodeId: string,
  ttlMs: number,
  log: Logger,
): Presence & { onExpired(fn: (userId: string) => void): void; onRevived(fn: (userId: string) => void): void } {
  // Fail fast while Redis is away: callers fall back to what this node knows.
  const redis = new Redis(url, { ...redisOptions, enableOfflineQueue: false, maxRetriesPerRequest: 0 }) as ScriptClient;
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis presence error'));
  redis.defineCommand('presenceConnect', { numberOfKeys: 2, lua: CONNECT });
  redis.defineCommand('presenceDisconnect', { numberOfKeys: 2, lua: DISCONNECT });
  redis.defineCommand('presenceExpire', { numberOfKeys: 2, lua: EXPIRE });
  // Its number of keys varies: the first argument of each call.
  redis.defineCommand('presenceRenew', { lua: RENEW });
  const local = createMemoryPresence();
  const localUsers = new Set<string>();
  let onExpired: (userId: string) => void = () => {};
  let onRevived: (userId: string) => void = () => {};
  // After Redis comes back, every node's entries look stale for a moment: let the nodes
  // renew theirs before anyone sweeps.
  let sweepAfter = 0;
  redis.on('ready', () => {
    sweepAfter = Date.now() + ttlMs;
  });

  const args = (userId: string, node = nodeId) => {
    const now = Date.now();
    return [USER_KEY + userId, EXPIRY_KEY, node, now, now + ttlMs, ttlMs * 4, `${userId}|${node}`] as const;
  };

  async function renew() {
    if (redis.status !== 'ready' || localUsers.size === 0) return;
    const users = [...localUsers];
    for (let from = 0; from < users.length; from += RENEW_CHUNK) {
      const chunk = users.slice(from, from + RENEW_CHUNK);
      const now = Date.now();
      const revived = await redis.presenceRenew(
        chunk.length + 1,
        EXPIRY_KEY,
        ...chunk.map((userId) => USER_KEY + userId),
        nodeId,
        now,
        now + ttlMs,
        ttlMs * 4,
        ...chunk.map((userId) => `${userId}|${nodeId}`),
      );
      for (const position of revived) {
        const userId = chunk[position - 1]!;
        if (localUsers.has(userId)) onRevived(userId);
      }
    }
  }

  async function sweep() {
    if (redis.status !== 'ready' || Date.now() < sweepAfter) return;
    const due = await redis.zrangebyscore(EXPIRY_KEY, '-inf', Date.now(), 'LIMIT', 0, 200);
    for (const member of due) {
      const bar = member.lastIndexOf('|');
      const userId = member.slice(0, bar);
      const [key, zkey, , now, , keyTtl] = args(userId);
      const result = await redis.presenceExpire(key, zkey, member.slice(bar + 1), now, 0, keyTtl, member);
      if (result === 1) onExpired(userId);
    }
  }

  const timer = setInterval(
    () => {
      renew()
        .then(sweep)
        .catch((err) => log.debug({ err: err.message }, 'presence renew/sweep failed'));
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  timer.unref();

  return {
    // Without an answer from Redis, what this node knows decides: a user's first socket here
    // came online, the last one here went offline (the renewals put Redis right when it is back).
    async connect(userId, socketId) {
      const { cameOnline: firstHere } = await local.connect(userId, socketId);
      if (!firstHere) return { cameOnline: false };
      localUsers.add(userId);
      try {
        return { cameOnline: (await redis.presenceConnect(...args(userId))) === 1 };
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'presence connect without Redis');
        return { cameOnline: true };
      }
    },
    async disconnect(userId, socketId) {
      const { wentOffline: lastHere } = await local.disconnect(userId, socketId);
      if (!lastHere) return { wentOffline: false };
      localUsers.delete(userId);
      try {
        return { wentOffline: (await redis.presenceDisconnect(...args(userId))) === 1 };
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'presence disconnect without Redis');
        return { wentOffline: true };
      }
    },
    async countOnline() {
      if (redis.status !== 'ready') return local.countOnline();
      // Entries are `user|node` scored by their expiry: users with one not yet expired.
      const live = await redis.zrangebyscore(EXPIRY_KEY, Date.now(), '+inf');
      return new Set(live.map((m) => m.slice(0, m.indexOf('|')))).size;
    },
    async onlineAmong(userIds) {
      if (userIds.length === 0) return new Set();
      if (redis.status !== 'ready') return local.onlineAmong(userIds);
      const pipeline = redis.pipeline();
      for (const id of userIds) pipeline.hvals(USER_KEY + id);
      const results = await pipeline.exec().catch(() => null);
      if (!results) return local.onlineAmong(userIds);
      const now = Date.now();
      return new Set(
        userIds.filter((_, i) => {
          const [err, values] = results[i] ?? [];
          return !err && (values as string[]).some((v) => Number(v) > now);
        }),
      );
    },
    onExpired(fn) {
      onExpired = fn;
    },
    onRevived(fn) {
      onRevived = fn;
    },
    async close() {
      clearInterval(timer);
      redis.disconnect();
    },
  };
}
