import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { createRedisBus } from '../../server/bus/redis-bus.js';
import type { Bus } from '../../server/bus/bus.js';
import { spawnRedis, waitFor } from '../helpers/processes.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

// Two nodes' buses on a private Redis; node A reaches it through a proxy the test can cut.
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let a: Bus;
let b: Bus;
const heardByB: string[] = [];

beforeAll(async () => {
  redis = await spawnRedis();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  const log = pino({ level: 'silent' });
  a = createRedisBus(`redis://127.0.0.1:${proxy.port}`, 'node-a', log);
  b = createRedisBus(redis.url, 'node-b', log);
  b.listen({
    sessionRevoked: (id) => heardByB.push(`session ${id}`),
    userDisabled: (id) => heardByB.push(`user ${id}`),
  });
  await waitFor(async () => a.isHealthy() && b.isHealthy(), 'both buses ready');
}, 30_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await proxy?.close();
  await redis?.kill('SIGKILL');
});

it('a revocation published while its node cannot reach Redis reaches the other nodes once it can', async () => {
  a.publishSessionRevoked('s-before');
  await waitFor(async () => heardByB.includes('session s-before'), 'B hears a revocation');

  const generationA = a.generation();
  const generationB = b.generation();
  proxy.cut('reset');
  await waitFor(async () => !a.isHealthy(), 'A notices Redis is gone');
  a.publishSessionRevoked('s-during');
  a.publishUserDisabled('u-during');
  await new Promise((r) => setTimeout(r, 300));
  expect(heardByB).toEqual(['session s-before']);

  proxy.restore();
  await waitFor(
    async () => heardByB.includes('session s-during') && heardByB.includes('user u-during'),
    'B hears what A published while cut off',
    15_000,
  );
  // A's subscriber lost its connection, so what A had learned before is suspect; B's did not.
  expect(a.generation()).toBeGreaterThan(generationA);
  expect(b.generation()).toBe(generationB);
}, 30_000);

it('a reconnected bus is healthy only once Redis has answered its subscription to revocations', async () => {
  proxy.cut('reset');
  await waitFor(async () => !a.isHealthy(), 'A notices Redis is gone');
  // Redis takes A's subscriptions again, but its answer is slow to come back: until it does,
  // a revocation published now may never reach A, so A must not trust anything it learns.
  proxy.holdReplies((chunk) => chunk.includes('\r\nsubscribe\r\n'));
  proxy.restore();
  await waitFor(async () => proxy.connections >= 2, 'A reconnects', 15_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(a.isHealthy()).toBe(false);
  const during = a.generation();

  proxy.releaseReplies();
  await waitFor(async () => a.isHealthy(), 'A is healthy once answered', 15_000);
  // What A learned while waiting (say, a session found live) is from an older generation.
  expect(a.generation()).toBeGreaterThan(during);
  // And it hears revocations again.
  const heardByA: string[] = [];
  a.listen({ sessionRevoked: (id) => heardByA.push(id) });
  b.publishSessionRevoked('s-after-listen');
  await waitFor(async () => heardByA.includes('s-after-listen'), 'A hears B');
}, 30_000);

it('what a node missed while cut off from Redis, in either direction, makes the sockets concerned catch up', async () => {
  const resyncsOfA: number[] = [];
  const resyncsOfB: number[] = [];
  const deliveredToB: string[] = [];
  a.listen({ resyncAll: () => resyncsOfA.push(Date.now()) });
  b.listen({
    resyncAll: () => resyncsOfB.push(Date.now()),
    deliver: (userIds, data) => deliveredToB.push(`${userIds.join(',')} ${data}`),
  });
  await b.watchUser('u-on-b');
  a.publishToUsers(['u-on-b'], { type: 'new_message', payload: { n: 1 } });
  await waitFor(async () => deliveredToB.length === 1, 'B hears A');

  proxy.cut('reset');
  await waitFor(async () => !a.isHealthy(), 'A notices Redis is gone');
  // A's events for a user on B, and for one nobody watches, are lost on the way...
  a.publishToUsers(['u-on-b', 'u-nowhere'], { type: 'new_message', payload: { n: 2 } });
  a.publishToUsers(['u-on-b'], { type: 'typing', payload: { n: 3 } });
  await new Promise((r) => setTimeout(r, 300));
  expect(deliveredToB).toHaveLength(1);

  proxy.restore();
  // ...so once A reaches Redis again, that user's sockets on B are asked to catch up, once;
  // and every socket on A, whose subscriber missed whatever B published meanwhile.
  await waitFor(async () => deliveredToB.length === 2 && resyncsOfA.length === 1, 'resync asked for', 15_000);
  expect(deliveredToB[1]).toBe('u-on-b {"type":"resync","payload":{}}');
  await new Promise((r) => setTimeout(r, 2_500)); // a heartbeat: nothing more is sent
  expect(deliveredToB).toHaveLength(2);
  expect(resyncsOfA).toHaveLength(1);
  // B never lost Redis: its sockets missed nothing.
  expect(resyncsOfB).toEqual([]);
}, 30_000);

it('a node that started while Redis was away asks its sockets to catch up once Redis is there', async () => {
  const late = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  late.cut('reset');
  const c = createRedisBus(`redis://127.0.0.1:${late.port}`, 'node-c', pino({ level: 'silent' }));
  const resyncsOfC: number[] = [];
  c.listen({ resyncAll: () => resyncsOfC.push(Date.now()) });
  try {
    // It takes sockets meanwhile (the node serves without Redis); what other nodes publish
    // for them does not reach it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(c.isHealthy()).toBe(false);
    expect(resyncsOfC).toEqual([]);
    late.restore();
    await waitFor(async () => c.isHealthy() && resyncsOfC.length === 1, 'C live, and its sockets asked', 15_000);
  } finally {
    await c.close();
    await late.close();
  }
}, 30_000);

it('a stall of the event loop longer than the command timeout does not make a Redis that answered look gone', async () => {
  await waitFor(async () => a.isHealthy() && b.isHealthy(), 'both buses healthy');
  const generations = [a.generation(), b.generation()];
  const ping = Redis.prototype.ping as (this: Redis) => Promise<'PONG'>;
  let stalled = false;
  // The next heartbeat's first ping goes out, Redis answers at once, and the event loop stalls
  // for 1.5 s before it reads the answer (a long collection, a long frame, a CPU the process did
  // not get). A stall outside the timers' phase: the next turn runs the command's 1 s timer
  // before it reads sockets.
  const spy = vi.spyOn(Redis.prototype, 'ping').mockImplementationOnce(function (this: Redis) {
    return new Promise<'PONG'>((resolve, reject) =>
      setImmediate(() => {
        ping.call(this).then(resolve, reject);
        const until = Date.now() + 1_500;
        while (Date.now() < until);
        stalled = true;
      }),
    );
  });
  try {
    await waitFor(async () => stalled, 'a heartbeat during the stall', 5_000);
    await new Promise((r) => setTimeout(r, 1_500));
    // Neither bus dropped its connections: their sockets were not told they missed anything.
    expect([a.generation(), b.generation()]).toEqual(generations);
    expect(a.isHealthy() && b.isHealthy()).toBe(true);
  } finally {
    spy.mockRestore();
  }
}, 30_000);
