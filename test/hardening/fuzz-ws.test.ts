/**
 * Hardening item 4, fuzzing over WebSocket: >= 100,000 generated hostile frames on a handful of
 * sockets. Each must get the answer the wire contract gives it (an error with the right code, or
 * the normal reply), a socket must close only on a frame that must close it (1007 / 1009), and
 * the server must neither crash nor keep what it was sent. See fuzz-harness.ts for the findings.
 */
import { describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/factories.js';
import { settle } from '../helpers/ws.js';
import { Rng, protoChanges } from './fuzz-kit.js';
import {
  SEED,
  CLIENT_CODES,
  finding,
  report,
  show,
  setPhase,
  gc,
  settledHeap,
  heapBound,
  mib,
  useFuzzServer,
  s,
  alice,
  bob,
  carol,
  direct,
  group,
  protoBefore,
} from './fuzz-harness.js';
import { planCloser, planFrame, type Planned, type Pools, type Reply } from './fuzz-ws-plan.js';
import { FuzzSocket, waitAnswer } from './fuzz-ws-socket.js';

// ---------------------------------------------------------------------------------------------
// Knobs. Sized for ~60 s on a 2-core machine shared with other test files.

const WS_FRAMES = 100_000;
const WS_SOCKETS = 6;
/** Frames between two pacing pings; below the server's 256 in-flight frames per socket. */
const WS_BATCH = 200;
/** A batch ends with a frame that must close the socket (1007 / 1009) this often. */
const WS_CLOSER_RATE = 1 / 25;
/** After this many server crashes the WebSocket run stops: the finding is made. */
const WS_MAX_CRASHES = 5;

useFuzzServer();

interface Slot {
  name: string;
  user: TestUser;
  sock: FuzzSocket;
  rng: Rng;
  pools: Pools;
  sent: number;
  seq: number;
  reconnects: number;
  authByFrame: boolean;
}

const wsStats = {
  frames: 0,
  batches: 0,
  errorsExpected: 0,
  errorFrames: 0,
  closers: { 1007: 0, 1009: 0 } as Record<number, number>,
  crashes: 0,
  byMutation: new Map<string, number>(),
};
let wsAborted = false;

async function reconnect(slot: Slot) {
  if (slot.sock.isOpen) await slot.sock.terminate();
  slot.authByFrame = !slot.authByFrame;
  slot.reconnects++;
  slot.sock = await FuzzSocket.open(s.base, slot.user, slot.authByFrame);
}

function checkReplies(frames: Planned[], byUid: Map<string, Reply[]>, anonErrors: Map<string, number>) {
  const expectedAnon = new Map<string, number>();
  let anonOk = 0;
  for (const f of frames) {
    const e = f.expect;
    if (!f.uid) {
      if (e.kind === 'error') expectedAnon.set(e.code, (expectedAnon.get(e.code) ?? 0) + 1);
      else anonOk++;
      continue;
    }
    const got = byUid.get(f.uid)!;
    const errors = got.filter((g) => g.type === 'error');
    const others = got.filter((g) => g.type !== 'error');
    const summary = () => `${f.desc} | ${show(f.wire)} -> ${JSON.stringify(got).slice(0, 200)}`;
    if (e.kind === 'error') {
      if (got.length !== 1 || errors.length !== 1 || errors[0]!.payload?.code !== e.code) {
        finding(`ws: a bad frame (${e.code}) did not get exactly one ${e.code} error`, summary());
      }
      continue;
    }
    let ok: boolean;
    if (e.type === 'ping') ok = errors.length === 0 && others.length === 1 && others[0]!.type === 'pong';
    else if (e.type === 'chat_message')
      ok = got.length === 1 && (others[0]?.type === 'message_ack' || errors.length === 1);
    else if (e.type === 'sync')
      ok = got.length >= 1 && errors.length <= 1 && others.every((o) => o.type === 'sync_result') && others.length <= 1;
    // The calls ringing for the fuzzing user (its frames place calls): offers, and ends of any that ended meanwhile.
    else if (e.type === 'ringing_calls') ok = errors.length === 0 && others.every((o) => o.type.startsWith('call_'));
    else ok = others.length === 0 && errors.length <= 1;
    if (!ok) finding(`ws: a valid ${e.type} frame got an unexpected set of replies`, summary());
  }
  const expectedTotal = [...expectedAnon.values()].reduce((a, b) => a + b, 0);
  const gotTotal = [...anonErrors.values()].reduce((a, b) => a + b, 0);
  const detail = () =>
    `expected ${JSON.stringify(Object.fromEntries(expectedAnon))} (+ up to ${anonOk} from valid frames), ` +
    `got ${JSON.stringify(Object.fromEntries(anonErrors))}; frames: ${frames
      .filter((f) => !f.uid)
      .slice(0, 5)
      .map((f) => f.desc)
      .join(', ')}`;
  for (const code of ['invalid_json', 'unknown_type']) {
    if ((anonErrors.get(code) ?? 0) !== (expectedAnon.get(code) ?? 0)) {
      finding(`ws: the number of ${code} errors for frames without an id is off`, detail());
    }
  }
  if (gotTotal < expectedTotal || gotTotal > expectedTotal + anonOk) {
    finding('ws: the number of error frames for frames without an id is off', detail());
  }
}

async function runBatch(slot: Slot, size: number) {
  const r = slot.rng;
  const frames: Planned[] = [];
  for (let i = 0; i < size; i++) {
    // Fixed length: a mutation that drops or adds a character cannot turn one uid into another.
    const f = planFrame(r, slot.pools, `f${slot.name}${(slot.seq++).toString(36).padStart(7, '0')}`);
    frames.push(f);
    if (f.expect.kind === 'error') wsStats.errorsExpected++;
    const kind = f.desc.split(' ')[0]!;
    wsStats.byMutation.set(kind, (wsStats.byMutation.get(kind) ?? 0) + 1);
  }
  const byUid = new Map<string, Reply[]>();
  for (const f of frames) if (f.uid) byUid.set(f.uid, []);
  const anonErrors = new Map<string, number>();
  const pingId = `pace.${slot.name}.${(slot.seq++).toString(36)}`;
  let pong!: () => void;
  const ponged = new Promise<void>((resolve) => (pong = resolve));
  const sock = slot.sock;
  sock.onFrame = (f) => {
    if (f.type === 'error') {
      wsStats.errorFrames++;
      const code = String(f.payload?.code);
      if (!CLIENT_CODES.has(code)) {
        const culprit = frames.find((x) => x.uid !== undefined && x.uid === f.id);
        finding(
          `ws: bad input got an error frame with code "${code}"`,
          `${
            culprit
              ? `${culprit.desc} | ${show(culprit.wire)}`
              : `(frame without id) ${frames
                  .map((x) => x.desc)
                  .join(', ')
                  .slice(0, 300)}`
          } -> ${JSON.stringify(f.payload)}`,
        );
      }
    }
    if (f.id === pingId) {
      if (f.type === 'pong') pong();
      return;
    }
    const list = typeof f.id === 'string' ? byUid.get(f.id) : undefined;
    if (list) list.push(f);
    else if (f.type === 'error')
      anonErrors.set(String(f.payload?.code), (anonErrors.get(String(f.payload?.code)) ?? 0) + 1);
  };
  // One write for the whole batch: the frames still arrive one by one, the client just saves syscalls.
  const raw = (sock.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  raw.cork();
  for (const f of frames) sock.ws.send(f.wire, { binary: f.binary });
  sock.ws.send(JSON.stringify({ type: 'ping', payload: {}, id: pingId }));
  raw.uncork();
  slot.sent += frames.length;
  wsStats.frames += frames.length;
  wsStats.batches++;

  if (!(await waitAnswer(ponged, sock.closed, 20_000))) {
    // The socket died or stopped answering. The frame at fault is after the last one answered.
    let lastAnswered = -1;
    frames.forEach((f, i) => {
      if (f.uid && byUid.get(f.uid)!.length > 0) lastAnswered = i;
    });
    const suspects = frames.slice(lastAnswered + 1, lastAnswered + 4).map((f) => `[${f.desc} | ${show(f.wire, 120)}]`);
    if (!sock.isOpen) {
      const { code, reason } = await sock.closed;
      finding(
        `ws: the server closed a socket on a frame it should have answered (${code})`,
        `${reason} ${suspects.join(' ')}`,
      );
    } else {
      wsStats.crashes++;
      finding('ws: a socket stopped answering (the server threw while reading a frame)', suspects.join(' '));
      if (wsStats.crashes >= WS_MAX_CRASHES) wsAborted = true;
    }
    await reconnect(slot);
    return;
  }
  sock.onFrame = null;
  checkReplies(frames, byUid, anonErrors);

  if (r.chance(WS_CLOSER_RATE)) {
    const closer = planCloser(r, slot.pools);
    sock.ws.send(closer.wire, { binary: false });
    slot.sent++;
    wsStats.frames++;
    const closedWith = await Promise.race([sock.closed, settle(10_000).then(() => null)]);
    if (closedWith?.code !== closer.code) {
      finding(
        `ws: ${closer.desc} should close the socket with ${closer.code}`,
        `got ${closedWith ? closedWith.code : 'no close'} for ${show(closer.wire, 80)}`,
      );
    } else wsStats.closers[closer.code]!++;
    await reconnect(slot);
  }
}

async function runSlot(slot: Slot, target: number) {
  while (slot.sent < target && !wsAborted) await runBatch(slot, Math.min(WS_BATCH, target - slot.sent));
}

describe('fuzzing', () => {
  it(`survives ${WS_FRAMES} generated WebSocket frames`, async () => {
    setPhase('ws');
    const started = Date.now();
    const users = Array.from({ length: WS_SOCKETS }, (_, i) => [alice, bob, carol][i % 3]!);
    const slots: Slot[] = await Promise.all(
      users.map(async (user, i) => {
        const rng = new Rng(SEED + i);
        const convs = [direct, group, direct.toUpperCase(), group];
        const pools: Pools = {
          convIds: () =>
            rng.chance(0.4)
              ? rng.pick(convs)
              : rng.chance(0.5)
                ? rng.uuid()
                : rng.pick(['x', '', ' ', 'me', '__proto__', '0', 'a'.repeat(257), '\u0000', rng.uuid().toUpperCase()]),
          userId: () => rng.pick([alice.id, bob.id, carol.id, rng.uuid(), 'me', 'x']),
          token: user.token,
        };
        return {
          name: String(i),
          user,
          sock: await FuzzSocket.open(s.base, user, i % 2 === 1),
          rng,
          pools,
          sent: 0,
          seq: 0,
          reconnects: 0,
          authByFrame: i % 2 === 1,
        };
      }),
    );
    const perSlot = Math.ceil(WS_FRAMES / WS_SOCKETS);

    // Warm up (JIT, zod, pools), then take the heap baseline with the same sockets open.
    await Promise.all(slots.map((slot) => runSlot(slot, 2 * WS_BATCH)));
    const heapBefore = await settledHeap();

    await Promise.all(slots.map((slot) => runSlot(slot, perSlot)));

    // Every socket still open answers a valid chat_message with its ack.
    for (const slot of slots) {
      if (!slot.sock.isOpen) {
        finding('ws: a socket closed without being told to', `${slot.name}: ${JSON.stringify(await slot.sock.closed)}`);
        await reconnect(slot);
      }
      const id = `final.${slot.name}`;
      const reply = await slot.sock
        .request(
          'chat_message',
          { conversation_id: group, content: 'still here', client_id: `final_${slot.name}_${SEED}` },
          id,
        )
        .catch((err: Error) => ({ type: 'timeout', payload: err.message }) as Reply);
      if (reply.type !== 'message_ack')
        finding('ws: a fuzzed socket no longer acks a valid message', JSON.stringify(reply));
    }
    await Promise.all(slots.map((slot) => slot.sock.terminate()));
    const heapAfter = await settledHeap();

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `ws fuzz: ${wsStats.frames} frames in ${wsStats.batches} batches on ${WS_SOCKETS} sockets, ` +
        `${wsStats.errorFrames} error frames (${wsStats.errorsExpected} required), ` +
        `closes 1007=${wsStats.closers[1007]} 1009=${wsStats.closers[1009]}, ` +
        `reconnects ${slots.reduce((n, x) => n + x.reconnects, 0)}, crashes ${wsStats.crashes}, ` +
        `heap ${mib(heapBefore)} -> ${mib(heapAfter)} (gc: ${gc ? 'yes' : 'no'}), ${seconds} s; ` +
        `mutations ${JSON.stringify(Object.fromEntries(wsStats.byMutation))}`,
    );

    // Every distinct problem at once: WebSocket behaviour, crashes / rejections, error log lines.
    expect(report('ws:', 'process/', 'server-log/'), 'findings').toEqual([]);
    expect(wsAborted, 'stopped early after repeated crashes').toBe(false);
    expect(wsStats.frames).toBeGreaterThanOrEqual(WS_FRAMES);
    expect(wsStats.errorFrames).toBeGreaterThanOrEqual(wsStats.errorsExpected);
    expect(protoChanges(protoBefore)).toEqual([]);
    expect(heapAfter - heapBefore, `heap growth ${mib(heapAfter - heapBefore)}`).toBeLessThan(heapBound);
  }, 180_000);
});
