import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createGroup, createUsers, type TestUser } from '../helpers/factories.js';
import { realtimeSuite } from '../helpers/realtime.js';
import { waitFor } from '../helpers/processes.js';

// The Zulip check: a client cut off at random moments, catching up the way DESIGN §4 says
// (sync after every ready, a REST fetch when a live seq skips ahead), ends with exactly the
// history of a client that never disconnected, which is exactly a fresh load.
const t = realtimeSuite({ WS_SEND_RATE: '1000', WS_SEND_BURST: '1000' });

interface Msg {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  content: string;
}

/** A seeded PRNG (mulberry32): the run can be repeated from the seed in the failure message. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A client that keeps a local copy of one conversation and catches up after every reconnect. */
function flakyReader(base: string, user: TestUser, conversationId: string, random: () => number) {
  const http = t.s.http;
  const have = new Map<number, Msg>();
  let contiguous = 0; // every seq up to here is held
  let stopped = false;
  let cuts = 0;
  let fetching: Promise<void> = Promise.resolve();

  const add = (m: Msg) => {
    have.set(m.seq, m);
    while (have.has(contiguous + 1)) contiguous++;
  };
  // A gap (a live message whose predecessors are missing): page forward over REST.
  const fillGap = () =>
    (fetching = fetching.then(async () => {
      for (;;) {
        const res = await http.get(
          `/api/conversations/${conversationId}/messages?after_seq=${contiguous}&limit=100`,
          user.token,
        );
        expect(res.status).toBe(200);
        res.body.messages.forEach(add);
        if (res.body.messages.length < 100) return;
      }
    }));

  const session = () =>
    new Promise<void>((done) => {
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(user.token)}`);
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        if (f.type === 'ready') {
          ws.send(
            JSON.stringify({
              type: 'sync',
              id: randomUUID(),
              payload: { conversations: [{ conversation_id: conversationId, after_seq: contiguous }] },
            }),
          );
          // Cut off at a random moment: right away, mid-sync, or after a while.
          const life = random() < 0.3 ? random() * 20 : random() * 400;
          setTimeout(() => (random() < 0.5 ? ws.terminate() : ws.close()), life);
        } else if (f.type === 'sync_result') {
          for (const c of f.payload.conversations) {
            c.messages.forEach(add);
            if (c.has_more) void fillGap();
          }
        } else if (f.type === 'new_message' && f.payload.conversation_id === conversationId) {
          const gap = f.payload.seq > contiguous + 1;
          add(f.payload);
          if (gap) void fillGap();
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        cuts++;
        done();
      });
    });

  const running = (async () => {
    while (!stopped) {
      await session();
      await new Promise((r) => setTimeout(r, random() * 150));
    }
  })();

  return {
    have,
    get cuts() {
      return cuts;
    },
    async stop() {
      stopped = true;
      await running;
      // One last reconnect-and-catch-up, as a client does when it comes back for good.
      await fillGap();
      await fetching;
    },
  };
}

it('a client cut off at random moments ends with exactly the history of one that stayed connected', async () => {
  const seed = Number(process.env.CONVERGENCE_SEED ?? Date.now() % 1_000_000);
  const random = rng(seed);
  const http = t.s.http;
  const [alice, bob, carol, dave] = await createUsers(http, 4);
  const conversationId = await createGroup(http, alice, [bob, carol, dave]);

  // Dave never disconnects: he collects every new_message live.
  const steady = await t.connect(dave);
  const flaky = flakyReader(t.s.base, carol, conversationId, random);

  // Alice sends over her socket and Bob over REST, interleaved, for a few seconds.
  const aliceWs = await t.connect(alice);
  const TOTAL = 300;
  for (let i = 0; i < TOTAL; i++) {
    if (i % 2 === 0) {
      aliceWs.send('chat_message', { conversation_id: conversationId, content: `a${i}`, client_id: randomUUID() });
    } else {
      void http.post(
        `/api/conversations/${conversationId}/messages`,
        { content: `b${i}`, client_id: randomUUID() },
        bob.token,
      );
    }
    await new Promise((r) => setTimeout(r, random() * 15));
  }
  await waitFor(async () => steady.ofType('new_message').length >= TOTAL, 'all messages live', 15_000);
  await flaky.stop();

  const live = steady
    .ofType('new_message')
    .map((f) => f.payload as Msg)
    .filter((m) => m.conversation_id === conversationId);
  const fresh: Msg[] = [];
  for (let after = 0; ;) {
    const res = await http.get(
      `/api/conversations/${conversationId}/messages?after_seq=${after}&limit=100`,
      dave.token,
    );
    fresh.push(...res.body.messages);
    if (res.body.messages.length < 100) break;
    after = res.body.messages.at(-1).seq;
  }
  const flakyHistory = [...flaky.have.values()].sort((a, b) => a.seq - b.seq);

  const context = `seed ${seed}, ${flaky.cuts} disconnects`;
  expect(flaky.cuts, context).toBeGreaterThanOrEqual(5);
  expect(fresh, context).toHaveLength(TOTAL);
  expect(fresh.map((m) => m.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  // The steady client saw every message live, once, in seq order.
  expect(live, context).toEqual(fresh);
  // The flaky client holds exactly the same messages, field for field.
  expect(flakyHistory, context).toEqual(fresh);
  console.info(`convergence: ${TOTAL} messages, ${context}`);
}, 60_000);
