/**
 * Hardening item 4: fuzzing. A deterministic generator (seeded PRNG) sends >= 100,000 hostile
 * WebSocket frames (fuzz-ws.test.ts) and a few thousand hostile REST requests (fuzz-rest.test.ts)
 * to one real in-process server per file. Bad input must get a 4xx-class answer, never a crash,
 * an unhandled rejection, an `internal` error, a 5xx, a polluted `Object.prototype` or a heap
 * that keeps what it was sent.
 *
 * Every finding is collected under a short signature with one reproducible example, so one
 * failing assertion lists each distinct problem once. This file holds what both runs share:
 * the findings, the process watchers, the heap check and the fixture.
 */
import { afterAll, beforeAll } from 'vitest';
import { Writable } from 'node:stream';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createGroup, createUsers, sendText, type TestUser } from '../helpers/factories.js';
import { settle } from '../helpers/ws.js';
import { snapshotProtos, findGc, type Snapshot } from './fuzz-kit.js';

// ---------------------------------------------------------------------------------------------
// Knobs both runs share (each file has its own, sized for ~60 s on a 2-core machine).

export const SEED = 0x5eed_f022;
/** Heap growth allowed after a forced GC (the server keeps nothing per frame or request). */
const HEAP_GROWTH_WITH_GC = 24 * 1024 * 1024;
/** Without a real GC the heap is only compared after a settle, so the bound is generous. */
const HEAP_GROWTH_WITHOUT_GC = 64 * 1024 * 1024;

/** Error codes bad input may get. `internal` and `unavailable` mean the server failed. */
export const CLIENT_CODES = new Set([
  'validation_failed',
  'invalid_json',
  'bad_request',
  'unknown_type',
  'not_found',
  'forbidden',
  'conflict',
  'unauthorized',
  'invalid_credentials',
  'payload_too_large',
  'unsupported_media_type',
]);

// ---------------------------------------------------------------------------------------------
// Findings.

interface Finding {
  count: number;
  example: string;
}
const findings = new Map<string, Finding>();
export function finding(signature: string, example: string) {
  const f = findings.get(signature);
  if (f) f.count++;
  else findings.set(signature, { count: 1, example: example.slice(0, 600) });
}
export const report = (...prefixes: string[]) =>
  [...findings]
    .filter(([sig]) => prefixes.some((p) => sig.startsWith(p)))
    .map(([sig, f]) => `${sig} (x${f.count}) e.g. ${f.example}`);
export const show = (s: string | Buffer, n = 200) => {
  const text = typeof s === 'string' ? s : s.toString('utf8');
  const bytes = typeof s === 'string' ? Buffer.byteLength(s) : s.length;
  return `${bytes} B: ${JSON.stringify(text.length > n ? `${text.slice(0, n)}…` : text)}`;
};

// Process-level watchers: the server is in this process, so its crashes are ours to see.
export const crashWatchers = new Set<() => void>();
let phase: 'setup' | 'ws' | 'rest' = 'setup';
/** Findings are signed with the phase they were made in (`process/ws: …`, `server-log/rest: …`). */
export function setPhase(next: 'ws' | 'rest') {
  phase = next;
}
const onUncaught = (err: Error) => {
  finding(
    `process/${phase}: uncaughtException "${String(err?.message).slice(0, 80)}"`,
    String(err?.stack).slice(0, 400),
  );
  for (const w of crashWatchers) w();
};
const onRejection = (reason: unknown) => {
  finding(
    `process/${phase}: unhandledRejection "${String((reason as Error)?.message ?? reason).slice(0, 80)}"`,
    String((reason as Error)?.stack ?? '').slice(0, 400),
  );
};

/** Error-level log lines of the server (a handler that failed, a 5xx). */
const logStream = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as {
          level?: number;
          msg?: string;
          type?: string;
          err?: { message?: string; stack?: string };
          req?: { method?: string; url?: string };
        };
        if ((entry.level ?? 0) < 50) continue;
        const where = entry.req ? `${entry.req.method} ${entry.req.url?.split('?')[0]?.slice(0, 80)} ` : '';
        finding(
          `server-log/${phase}: "${entry.msg}" (${(entry.err?.message ?? '').slice(0, 100)})${entry.type ? ` for ${entry.type}` : ''}`,
          `${where}${(entry.err?.stack ?? '').split('\n').slice(0, 4).join(' | ')}`,
        );
      } catch {
        finding(`server-log/${phase}: a line that is not JSON`, line.slice(0, 200));
      }
    }
    done();
  },
});

export const gc = findGc();
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await settle(gc ? 50 : 250);
  }
  return process.memoryUsage().heapUsed;
}
export const heapBound = gc ? HEAP_GROWTH_WITH_GC : HEAP_GROWTH_WITHOUT_GC;
export const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------
// Shared fixture.

// Live bindings: set by useFuzzServer's beforeAll, read by the tests and the generators.
export let s: TestServer;
export let alice: TestUser;
export let bob: TestUser;
export let carol: TestUser;
export let direct: string;
export let group: string;
export let protoBefore: Snapshot;

/** The server under fuzz (in this process, its log watched) and its fixture, for one test file. */
export function useFuzzServer() {
  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejection);
    s = await startServer({ WS_SEND_RATE: '1000000', WS_SEND_BURST: '1000000', LOG_LEVEL: 'error' }, { logStream });
    [alice, bob, carol] = await createUsers(s.http, 3);
    direct = await createDirect(s.http, alice, bob);
    group = await createGroup(s.http, alice, [bob, carol], 'fuzz');
    await sendText(s.http, alice, group, 'hello');
    await sendText(s.http, bob, direct, 'hello');
    protoBefore = snapshotProtos();
  });

  afterAll(async () => {
    await s?.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  });
}
