/**
 * Hardening item 4: fuzzing. A deterministic generator (seeded PRNG) sends >= 100,000 hostile
 * WebSocket frames and a few thousand hostile REST requests to one real in-process server.
 * Bad input must get a 4xx-class answer, never a crash, an unhandled rejection, an `internal`
 * error, a 5xx, a polluted `Object.prototype` or a heap that keeps what it was sent.
 *
 * Every finding is collected under a short signature with one reproducible example, so one
 * failing assertion lists each distinct problem once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HTTPMethods } from 'fastify';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { CLIENT_FRAME_TYPES, ClientPayloads, Envelope, WS_LIMITS } from '../../protocol/frames.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createGroup, createUsers, sendText, type TestUser } from '../helpers/factories.js';
import { settle } from '../helpers/ws.js';
import {
  Rng,
  Raw,
  toJson,
  setOwn,
  isRecord,
  fresh,
  slots,
  containers,
  put,
  PROTO_KEYS,
  NASTY_STRINGS,
  wrongValue,
  protoValue,
  deepText,
  longString,
  UTF8_SLOT,
  INVALID_UTF8,
  snapshotProtos,
  protoChanges,
  findGc,
  type Snapshot,
} from './fuzz-kit.js';

// ---------------------------------------------------------------------------------------------
// Knobs. Sized for ~60 s on a 2-core machine shared with other test files.

const SEED = 0x5eed_f022;
const WS_FRAMES = 100_000;
const WS_SOCKETS = 6;
/** Frames between two pacing pings; below the server's 256 in-flight frames per socket. */
const WS_BATCH = 200;
/** A batch ends with a frame that must close the socket (1007 / 1009) this often. */
const WS_CLOSER_RATE = 1 / 25;
/** After this many server crashes the WebSocket run stops: the finding is made. */
const WS_MAX_CRASHES = 5;
const REST_BODIES_PER_ROUTE = 300;
const REST_QUERIES_PER_ROUTE = 60;
const REST_CONCURRENCY = 12;
/** Heap growth allowed after a forced GC (the server keeps nothing per frame or request). */
const HEAP_GROWTH_WITH_GC = 24 * 1024 * 1024;
/** Without a real GC the heap is only compared after a settle, so the bound is generous. */
const HEAP_GROWTH_WITHOUT_GC = 64 * 1024 * 1024;

const MAX_FRAME = WS_LIMITS.maxFrameBytes;
const BODY_LIMIT = 1024 * 1024;
/** Error codes bad input may get. `internal` and `unavailable` mean the server failed. */
const CLIENT_CODES = new Set([
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
function finding(signature: string, example: string) {
  const f = findings.get(signature);
  if (f) f.count++;
  else findings.set(signature, { count: 1, example: example.slice(0, 600) });
}
const report = (...prefixes: string[]) =>
  [...findings]
    .filter(([sig]) => prefixes.some((p) => sig.startsWith(p)))
    .map(([sig, f]) => `${sig} (x${f.count}) e.g. ${f.example}`);
const show = (s: string | Buffer, n = 200) => {
  const text = typeof s === 'string' ? s : s.toString('utf8');
  const bytes = typeof s === 'string' ? Buffer.byteLength(s) : s.length;
  return `${bytes} B: ${JSON.stringify(text.length > n ? `${text.slice(0, n)}…` : text)}`;
};

// Process-level watchers: the server is in this process, so its crashes are ours to see.
const crashWatchers = new Set<() => void>();
let phase: 'setup' | 'ws' | 'rest' = 'setup';
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

const gc = findGc();
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await settle(gc ? 50 : 250);
  }
  return process.memoryUsage().heapUsed;
}
const heapBound = gc ? HEAP_GROWTH_WITH_GC : HEAP_GROWTH_WITHOUT_GC;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------
// Shared fixture.

let s: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let direct: string;
let group: string;
let protoBefore: Snapshot;

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

// ---------------------------------------------------------------------------------------------
// WebSocket frames.

interface Reply {
  type: string;
  payload: any;
  id?: unknown;
}

/** What the server must answer, by the wire contract in protocol/frames.ts. */
type Expectation = { kind: 'error'; code: string; id?: unknown } | { kind: 'ok'; type: string; id?: unknown };

function oracle(text: string): Expectation {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'error', code: 'invalid_json' };
  }
  const env = Envelope.safeParse(json);
  if (!env.success) return { kind: 'error', code: 'validation_failed' };
  const { type, payload, id } = env.data;
  if (!Object.hasOwn(ClientPayloads, type)) return { kind: 'error', code: 'unknown_type', id };
  let valid: boolean;
  try {
    valid = (ClientPayloads as Record<string, { safeParse(v: unknown): { success: boolean } }>)[type]!.safeParse(
      payload,
    ).success;
  } catch {
    // The schema itself blew up (e.g. a refine that stringifies a very deep value): the
    // contract still says "not a valid frame".
    valid = false;
  }
  if (!valid) return { kind: 'error', code: 'validation_failed', id };
  if (type === 'auth') return { kind: 'error', code: 'bad_request', id };
  return { kind: 'ok', type, id };
}

interface Pools {
  convIds: () => string;
  userId: () => string;
  token: string;
}

function validPayload(type: string, r: Rng, p: Pools): Record<string, unknown> | undefined {
  const callId = r.uuid();
  switch (type) {
    case 'auth':
      return { token: r.chance(0.5) ? p.token : r.hex(40) };
    case 'chat_message':
      return {
        conversation_id: p.convIds(),
        content: r.chance(0.7) ? `fuzz ${r.hex(6)}` : r.pick(NASTY_STRINGS),
        ...(r.chance(0.5) ? { message_type: 'text' } : {}),
        client_id: `c_${r.hex(16)}`,
      };
    case 'typing':
      return { conversation_id: p.convIds(), is_typing: r.chance(0.5) };
    case 'delivered':
      return { conversation_id: p.convIds(), seq: r.int(0, 5) };
    case 'read_receipt':
      return r.chance(0.7) ? { conversation_id: p.convIds(), seq: r.int(0, 5) } : { message_id: r.uuid() };
    case 'sync':
      return {
        conversations: Array.from({ length: r.int(0, 3) }, () => ({
          conversation_id: p.convIds(),
          after_seq: r.chance(0.2) ? 0 : r.int(1_000, 2_000_000),
        })),
      };
    case 'ping':
      return r.chance(0.2) ? undefined : r.chance(0.5) ? {} : { t: r.int(0, 1e9), nested: { a: [1, 2] } };
    case 'call_offer':
      return {
        call_id: callId,
        conversation_id: p.convIds(),
        ...(r.chance(0.3) ? { recipient_id: p.userId() } : {}),
        media: r.pick(['audio', 'video']),
        offer: { type: 'offer', sdp: `v=0\r\no=- ${r.int(0, 1e9)} 2 IN IP4 127.0.0.1\r\n` },
      };
    case 'call_answer':
      return { call_id: callId, answer: { type: 'answer', sdp: 'v=0\r\n' } };
    case 'ice_candidate':
      return { call_id: callId, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' } };
    case 'call_decline':
    case 'call_cancel':
    case 'call_end':
      return { call_id: callId };
    default:
      // A frame type added after this test was written: fuzz it from an empty payload.
      return {};
  }
}

const FRAME_MUTATIONS = [
  ['valid', 12],
  ['oddId', 7],
  ['wrongType', 18],
  ['remove', 5],
  ['proto', 12],
  ['deep', 1],
  ['long', 0.7],
  ['envelope', 10],
  ['nonObject', 4],
  ['malformed', 12],
  ['binary', 4],
  ['multi', 6],
] as const;
type Mutation = (typeof FRAME_MUTATIONS)[number][0];

const ODD_IDS: unknown[] = [
  new Raw('-0'),
  0,
  -1,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  new Raw('9007199254740993'),
  new Raw('1e308'),
  new Raw('1e400'),
  new Raw('1.0'),
  new Raw('1E2'),
  1.5,
  '',
  ' ',
  'x'.repeat(64),
  'x'.repeat(65),
  null,
  true,
  false,
  [],
  {},
  ['a'],
  { id: 1 },
  '__proto__',
  'constructor',
  '\u0000',
  '\ud800',
  '𝕏',
];

const ODD_TYPES: unknown[] = [
  0,
  1e308,
  null,
  true,
  [],
  {},
  ['ping'],
  { type: 'ping' },
  '',
  'x'.repeat(65),
  'PING',
  ' ping',
  'ping ',
  'ping\u0000',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
  'launch_missiles',
  'auth',
];

const MALFORMED_CONSTANTS = [
  '',
  ' ',
  '{',
  '[',
  '}',
  '{"type":',
  'NaN',
  'Infinity',
  'undefined',
  '{type:"ping"}',
  "{'type':'ping'}",
  '{"type":"ping",}',
  '{"type":"ping" "payload":{}}',
  '{"type":"ping"}{"type":"ping"}',
  '{"type":"ping","payload":{"a":01}}',
  '{"type":"ping","payload":{"a":.5}}',
  '{"type":"ping","payload":{"a":+1}}',
  '{"type":"ping","payload":{"a":0x10}}',
  '{"type":"ping","payload":{"a":NaN}}',
  '{"type":"ping","payload":{"a":"\\x41"}}',
  '{"type":"ping","payload":{"a":"\\u12"}}',
  '{"type":"ping","payload":{"a":"tab\there"}}',
  '{"type":"ping"/*c*/}',
  '\ufeff{"type":"ping"}',
];

interface Planned {
  wire: Buffer;
  binary: boolean;
  uid?: string;
  expect: Expectation;
  desc: string;
}

const opaqueKey = (payload: unknown) =>
  isRecord(payload) ? ['offer', 'answer', 'candidate'].find((k) => Object.hasOwn(payload, k)) : undefined;

/** One fuzzed frame. `uid` is the unique id it carries, when the mutation left it in place. */
function planFrame(r: Rng, p: Pools, uid: string): Planned {
  const type = r.pick(CLIENT_FRAME_TYPES);
  const payload = validPayload(type, r, p);
  const env: Record<string, unknown> = { type, ...(payload !== undefined ? { payload } : {}), id: uid };
  const mutation: Mutation = r.weighted(FRAME_MUTATIONS);
  let desc = `${mutation} ${type}`;
  let text: string | null = null;

  const mutateOnce = (m: Mutation) => {
    switch (m) {
      case 'oddId': {
        const id = fresh(r.pick(ODD_IDS));
        if (r.chance(0.1)) delete env.id;
        else env.id = id;
        desc += ` id=${id instanceof Raw ? id.text : JSON.stringify(id)?.slice(0, 20)}`;
        return;
      }
      case 'wrongType': {
        const where = slots(env.payload);
        const value = wrongValue(r);
        if (where.length === 0) env.payload = value;
        else {
          const slot = r.pick(where);
          put(slot, value);
          desc += ` at ${String(slot[1])}`;
        }
        return;
      }
      case 'remove': {
        const where = slots(env.payload).filter(([c]) => !Array.isArray(c));
        if (where.length === 0) delete env.payload;
        else {
          const [c, k] = r.pick(where);
          delete (c as Record<string, unknown>)[k as string];
          desc += ` -${String(k)}`;
        }
        return;
      }
      case 'proto': {
        const targets = containers(env);
        const n = r.int(1, 3);
        for (let i = 0; i < n; i++) {
          const key = r.pick(PROTO_KEYS);
          setOwn(r.pick(targets), key, protoValue(r));
          desc += ` +${key}`;
        }
        return;
      }
      case 'deep': {
        const { text: deep, desc: d } = deepText(r, MAX_FRAME - 600);
        const raw = new Raw(deep);
        const where = r.int(0, 5);
        const field = (['payload', 'id', 'type'] as const)[where];
        if (field) {
          env[field] = raw;
          desc += ` as ${field}`;
        } else if (where === 3 && opaqueKey(env.payload)) {
          // The call frames' SDP / ICE fields: relayed as-is, only size-checked.
          const key = opaqueKey(env.payload)!;
          (env.payload as Record<string, unknown>)[key] = raw;
          desc += ` .${key}`;
        } else {
          const key = r.pick(['extra', '__proto__', 'constructor']);
          setOwn(r.pick(containers(env)), key, raw);
          desc += ` under ${key}`;
        }
        desc += ` ${d}`;
        return;
      }
      case 'long': {
        const where = slots(env);
        const value = longString(r, MAX_FRAME - 1000);
        const slot = r.pick(where);
        put(slot, value);
        desc += ` at ${String(slot[1])} len=${value.length}`;
        return;
      }
      case 'envelope': {
        const what = r.int(0, 4);
        if (what === 0) env.type = fresh(r.pick(ODD_TYPES));
        else if (what === 1) delete env.type;
        else if (what === 2) env.payload = r.pick([null, 0, 'x', [], [env.payload], true, new Raw('1e400')]);
        else if (what === 3) delete env.payload;
        else setOwn(env, r.pick(['extra', 'ref', 'payload ', 'Type', ...PROTO_KEYS]), wrongValue(r));
        desc += ` #${what} type=${JSON.stringify(env.type)?.slice(0, 20)}`;
        return;
      }
      default:
        return;
    }
  };

  switch (mutation) {
    case 'valid':
      break;
    case 'multi': {
      const n = r.int(2, 4);
      for (let i = 0; i < n; i++) mutateOnce(r.pick(['oddId', 'wrongType', 'remove', 'proto', 'envelope'] as const));
      break;
    }
    case 'nonObject':
      text = toJson(
        r.pick([0, new Raw('-0'), new Raw('1e400'), 'ping', null, true, [], [env], JSON.stringify(env), [[[[]]]]]),
      );
      break;
    case 'malformed': {
      const good = toJson(env);
      const how = r.int(0, 6);
      if (how === 0) text = good.slice(0, r.int(0, good.length - 1));
      else if (how === 1) {
        const at = r.int(0, good.length - 1);
        text = good.slice(0, at) + good.slice(at + 1);
      } else if (how === 2) {
        const at = r.int(0, good.length);
        text =
          good.slice(0, at) +
          r.pick(['{', '}', '[', ']', ':', ',', '"', '\\', "'", 'NaN', '//', '/*']) +
          good.slice(at);
      } else if (how === 3) text = good + r.pick(['}', ',', ' x', '\u0000', '{}', ']']);
      else if (how === 4) text = good.replace('"', "'");
      else if (how === 5) text = '['.repeat(r.logInt(10, 30_000));
      else text = r.pick(MALFORMED_CONSTANTS);
      desc += ` #${how}`;
      break;
    }
    case 'binary': {
      const wire = r.chance(0.5) ? Buffer.from(toJson(env)) : r.bytes(r.logInt(1, 4000) - 1);
      return { wire, binary: true, expect: { kind: 'error', code: 'bad_request' }, desc };
    }
    default:
      mutateOnce(mutation);
  }

  text ??= toJson(env);
  let wire = Buffer.from(text, 'utf8');
  if (wire.length > MAX_FRAME) {
    // Keep under the frame limit (closing frames are planned separately): a cut JSON text.
    wire = wire.subarray(0, MAX_FRAME - 8);
    desc += ' (cut)';
  } else if (mutation === 'long' && wire.length < MAX_FRAME - 16 && text.endsWith('}') && r.chance(0.3)) {
    // Exactly at the limit: must be read and answered, not closed with 1009.
    const fill = MAX_FRAME - wire.length - ',"zz":""'.length;
    wire = Buffer.concat([wire.subarray(0, -1), Buffer.from(`,"zz":"${'x'.repeat(fill)}"}`)]);
    desc += ' (exactly 64 KiB)';
  }
  // The oracle reads what the server will read: the UTF-8 decoding of the bytes on the wire.
  const expect = oracle(wire.toString('utf8'));
  return { wire, binary: false, uid: expect.id === uid ? uid : undefined, expect, desc };
}

/** A frame the server must answer by closing the socket. */
function planCloser(r: Rng, p: Pools): { wire: Buffer; code: number; desc: string } {
  if (r.chance(0.5)) {
    const bad = Buffer.from(r.pick(INVALID_UTF8));
    const payload = validPayload('chat_message', r, p)!;
    const [head, tail] = toJson({ type: 'chat_message', payload: { ...payload, content: UTF8_SLOT } }).split(
      UTF8_SLOT,
    ) as [string, string];
    return { wire: Buffer.concat([Buffer.from(head), bad, Buffer.from(tail)]), code: 1007, desc: 'invalid UTF-8' };
  }
  const size = MAX_FRAME + r.logInt(1, 64 * 1024);
  const pad = 'x'.repeat(size);
  return { wire: Buffer.from(toJson({ type: 'ping', payload: { pad } })), code: 1009, desc: `oversized ${size}` };
}

class FuzzSocket {
  onFrame: ((f: Reply) => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    // Errors of the client side (e.g. sending while the server closes) end in `close`.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      let frame: Reply;
      try {
        frame = JSON.parse(data.toString()) as Reply;
      } catch {
        finding('ws: server sent a frame that is not JSON', show(data.toString()));
        return;
      }
      if (isBinary) finding('ws: server sent a binary frame', show(data.toString()));
      this.onFrame?.(frame);
    });
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  static async open(base: string, user: TestUser, authByFrame: boolean): Promise<FuzzSocket> {
    const url = `${base.replace(/^http/, 'ws')}/api/ws${authByFrame ? '' : `?token=${encodeURIComponent(user.token)}`}`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const sock = new FuzzSocket(ws);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready frame within 10 s')), 10_000);
      sock.onFrame = (f) => {
        if (f.type !== 'ready') return;
        clearTimeout(timer);
        sock.onFrame = null;
        resolve();
      };
      void sock.closed.then(({ code }) => (clearTimeout(timer), reject(new Error(`closed with ${code} before ready`))));
    });
    ready.catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    if (authByFrame) ws.send(JSON.stringify({ type: 'auth', payload: { token: user.token } }));
    await ready;
    return sock;
  }

  async terminate() {
    this.ws.terminate();
    await this.closed;
  }

  /** Sends a frame with a fresh id and waits for the reply echoing it. */
  request(type: string, payload: unknown, id: string, timeoutMs = 10_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.onFrame = (f) => {
        if (f.id !== id) return;
        clearTimeout(timer);
        resolve(f);
      };
      this.ws.send(JSON.stringify({ type, payload, id }));
    });
  }
}

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

/** Resolves true when `p` does; false on timeout, sooner when the server just crashed. */
function waitAnswer(p: Promise<unknown>, closed: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let timer = setTimeout(() => done(false), ms);
    const onCrash = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), 2_000);
    };
    crashWatchers.add(onCrash);
    function done(v: boolean) {
      clearTimeout(timer);
      crashWatchers.delete(onCrash);
      resolve(v);
    }
    void p.then(() => done(true));
    void closed.then(() => setTimeout(() => done(false), 50));
  });
}

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
    phase = 'ws';
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

  it('survives thousands of generated REST bodies and querystrings on every route', async () => {
    phase = 'rest';
    const started = Date.now();
    const r = new Rng(SEED ^ 0xbeef);
    const heapBefore = await settledHeap();
    const stats: RestStats = { requests: 0, bodies: 0, queries: 0, byStatus: new Map(), msByRoute: new Map() };

    const cases: (() => Promise<void>)[] = [];
    const bodyRoutes = s.routes.filter((rt) => ['POST', 'PATCH', 'PUT'].includes(rt.method));
    const getRoutes = s.routes.filter((rt) => rt.method === 'GET');
    const deleteRoutes = s.routes.filter((rt) => rt.method === 'DELETE');
    expect(bodyRoutes.length).toBeGreaterThan(5);
    expect(getRoutes.length).toBeGreaterThan(5);
    // (`OPTIONS *`, the CORS preflight, is a wildcard hasRoute does not look up.)
    for (const rt of s.routes.filter((x) => x.method !== 'OPTIONS'))
      expect(s.app.hasRoute({ method: rt.method as HTTPMethods, url: rt.url }), `${rt.method} ${rt.url}`).toBe(true);

    for (const rt of bodyRoutes) {
      for (let i = 0; i < REST_BODIES_PER_ROUTE; i++) {
        const req = planBody(r, rt);
        cases.push(() => send(rt, req, stats));
      }
      // Bodies over the limit, with and without a Content-Length.
      for (const chunked of [false, true]) {
        const req = bigBody(r, rt, chunked);
        cases.push(() => send(rt, req, stats));
      }
    }
    for (const rt of getRoutes) {
      // The web client's files ignore querystrings and are large: a few requests each are enough.
      const isStatic = !rt.url.startsWith('/api/') && !['/healthz', '/readyz'].includes(rt.url);
      for (let i = 0; i < (isStatic ? 5 : REST_QUERIES_PER_ROUTE); i++) {
        const req = planQuery(r, rt);
        cases.push(() => send(rt, req, stats));
      }
    }
    for (const rt of deleteRoutes) {
      for (let i = 0; i < 40; i++) {
        const req: PlannedRequest = {
          path: fillPath(r, rt.url, { allowReal: false }) + (r.chance(0.3) ? `?${genQuery(r, [])}` : ''),
          token: tokenFor(r, rt.url),
          desc: 'delete garbage params',
        };
        cases.push(() => send(rt, req, stats));
      }
    }
    // Interleave routes so that concurrent requests hit different handlers.
    for (let i = cases.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [cases[i], cases[j]] = [cases[j]!, cases[i]!];
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: REST_CONCURRENCY }, async () => {
        while (next < cases.length) await cases[next++]!();
      }),
    );

    // Still healthy, and the fixture's session still works.
    const health = await s.http.get('/healthz');
    expect(health.status).toBe(200);
    expect((await s.http.get('/api/users/me', alice.token)).status).toBe(200);
    const heapAfter = await settledHeap();

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `rest fuzz: ${stats.requests} requests on ${s.routes.length} routes (${stats.bodies} bodies, ${stats.queries} querystrings), ` +
        `statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])))}, ` +
        `heap ${mib(heapBefore)} -> ${mib(heapAfter)} (gc: ${gc ? 'yes' : 'no'}), ${seconds} s; slowest: ${[
          ...stats.msByRoute,
        ]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([rt, ms]) => `${rt} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')}`,
    );

    expect(report('rest:', 'process/rest', 'server-log/rest'), 'findings').toEqual([]);
    expect(stats.bodies).toBeGreaterThanOrEqual(bodyRoutes.length * REST_BODIES_PER_ROUTE);
    expect(protoChanges(protoBefore)).toEqual([]);
    expect(heapAfter - heapBefore, `heap growth ${mib(heapAfter - heapBefore)}`).toBeLessThan(heapBound);
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------
// REST generation.

interface RestStats {
  requests: number;
  bodies: number;
  queries: number;
  byStatus: Map<number, number>;
  /** Time spent waiting per route (to see where the run time goes). */
  msByRoute: Map<string, number>;
}

interface PlannedRequest {
  path: string;
  token?: string;
  contentType?: string;
  body?: Buffer | ReadableStream<Uint8Array>;
  /** The status this request must get, when the contract fixes it. */
  mustBe?: number;
  desc: string;
}

function bodyTemplate(r: Rng, key: string): Record<string, unknown> {
  const name = `f${r.hex(10)}`;
  switch (key) {
    case 'POST /api/auth/register':
      return { username: name, email: `${name}@example.test`, password: 'correct horse battery', display_name: name };
    case 'POST /api/auth/login':
      return { email: r.chance(0.5) ? alice.email : `${name}@example.test`, password: 'wrong password' };
    case 'POST /api/auth/refresh':
    case 'POST /api/auth/logout':
      return { refresh_token: `${r.uuid()}.${r.hex(32)}` };
    case 'POST /api/conversations':
      return r.chance(0.5)
        ? { type: 'group', title: `t ${name}`, member_ids: [bob.id] }
        : { type: 'one_to_one', member_ids: [r.pick([bob.id, carol.id, r.uuid()])] };
    case 'PATCH /api/conversations/:id':
      return { title: `t ${name}` };
    case 'POST /api/conversations/:id/members':
      return { user_ids: [r.pick([bob.id, carol.id, r.uuid()])] };
    case 'PATCH /api/conversations/:id/members/:user_id':
      return { role: r.pick(['admin', 'member']) };
    case 'POST /api/conversations/:id/messages':
      return { content: `fuzz ${name}`, message_type: 'text', client_id: name };
    case 'POST /api/conversations/:id/read':
      return { seq: r.int(0, 3) };
    case 'PATCH /api/users/me':
      return { display_name: `Alice ${name}`, relay_only: r.chance(0.5) };
    default:
      // A route added after this test was written: fuzz it from an empty object.
      return {};
  }
}

const GARBAGE_PARAMS = [
  'x',
  '0',
  '-1',
  '1e308',
  'NaN',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  '%00',
  'a%00b',
  '%20',
  '%2F',
  '%FF',
  '%E0%A4%A',
  '%',
  'a'.repeat(101),
  'a'.repeat(300),
  encodeURIComponent('𝕏'),
  '%E2%80%AE',
  encodeURIComponent("' OR 1=1 --"),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ':id',
  'me',
];

function fillPath(r: Rng, url: string, opts: { allowReal: boolean; onlyReal?: boolean }): string {
  return url
    .replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
      if (opts.allowReal && (opts.onlyReal || r.chance(0.6))) {
        if (name === 'user_id') return r.pick([bob.id, carol.id, 'me']);
        if (url.startsWith('/api/users/')) return r.pick([alice.id, bob.id, carol.id.toUpperCase()]);
        return r.pick([direct, group, group, group.toUpperCase()]);
      }
      return r.chance(0.3) ? r.uuid() : r.pick(GARBAGE_PARAMS);
    })
    .replace(/\*/g, () => r.pick(['x', 'index.html', '..%2F..%2Fpackage.json', '%FF', 'a'.repeat(200)]));
}

function tokenFor(r: Rng, url: string): string | undefined {
  // Logout would end the fixture's session: it only ever sees foreign or broken tokens.
  const mayUseReal = !url.includes('logout');
  const x = r.next();
  if (mayUseReal && x < 0.85) return alice.token;
  if (mayUseReal && x < 0.9) return r.pick([bob.token, carol.token]);
  if (x < 0.95)
    return r.pick(['garbage', `${alice.token}x`, 'a'.repeat(5000), alice.token.split('.').slice(0, 2).join('.')]);
  return undefined;
}

const BODY_MUTATIONS = [
  ['valid', 5],
  ['wrongType', 20],
  ['remove', 6],
  ['proto', 14],
  ['deep', 5],
  ['long', 5],
  ['nonObject', 6],
  ['malformed', 12],
  ['contentType', 10],
  ['empty', 4],
  ['invalidUtf8', 4],
  ['multi', 9],
] as const;

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json ;',
  'application/jsonx',
  'application/vnd.api+json',
  '*/*',
  'application/json, text/plain',
  'application/octet-stream',
  '',
];

function planBody(r: Rng, rt: { method: string; url: string }): PlannedRequest {
  const key = `${rt.method} ${rt.url}`;
  const body: Record<string, unknown> = bodyTemplate(r, key);
  const mutation = r.weighted(BODY_MUTATIONS);
  let desc = `${mutation}`;
  let text: string | Buffer | null = null;
  let contentType: string | undefined = 'application/json';
  const mutateOnce = (m: string) => {
    if (m === 'wrongType') {
      const where = slots(body);
      const value = wrongValue(r);
      if (where.length === 0) setOwn(body, 'x', value);
      else {
        const slot = r.pick(where);
        put(slot, value);
        desc += ` at ${String(slot[1])}`;
      }
    } else if (m === 'remove') {
      const where = slots(body).filter(([c]) => !Array.isArray(c));
      if (where.length > 0) {
        const [c, k] = r.pick(where);
        delete (c as Record<string, unknown>)[k as string];
        desc += ` -${String(k)}`;
      }
    } else if (m === 'proto') {
      const n = r.int(1, 3);
      for (let i = 0; i < n; i++) {
        const k = r.pick(PROTO_KEYS);
        setOwn(r.pick(containers(body)), k, protoValue(r));
        desc += ` +${k}`;
      }
    }
  };
  switch (mutation) {
    case 'valid':
      break;
    case 'wrongType':
    case 'remove':
    case 'proto':
      mutateOnce(mutation);
      break;
    case 'multi': {
      const n = r.int(2, 4);
      for (let i = 0; i < n; i++) mutateOnce(r.pick(['wrongType', 'remove', 'proto']));
      break;
    }
    case 'deep': {
      const { text: deep, desc: d } = deepText(r, 900 * 1024);
      const where = slots(body);
      if (where.length === 0 || r.chance(0.2)) text = deep;
      else {
        const slot = r.pick(where);
        put(slot, new Raw(deep));
        desc += ` at ${String(slot[1])}`;
      }
      desc += ` ${d}`;
      break;
    }
    case 'long': {
      const where = slots(body);
      const value = longString(r, 200 * 1024);
      if (where.length) put(r.pick(where), value);
      else setOwn(body, 'x', value);
      desc += ` len=${value.length}`;
      break;
    }
    case 'nonObject':
      text = toJson(r.pick([0, new Raw('-0'), new Raw('1e400'), 'x', null, true, [], [body], JSON.stringify(body)]));
      break;
    case 'malformed': {
      const good = toJson(body);
      text = r.chance(0.5)
        ? good.slice(0, r.int(0, Math.max(0, good.length - 1)))
        : r.pick(MALFORMED_CONSTANTS.filter((m) => m !== ''));
      break;
    }
    case 'contentType':
      contentType = r.chance(0.1) ? undefined : r.pick(CONTENT_TYPES);
      if (r.chance(0.3)) text = `a=1&b=${encodeURIComponent(toJson(body))}`;
      desc += ` ${JSON.stringify(contentType)}`;
      break;
    case 'empty':
      text = r.pick(['', ' ', '\n']);
      if (r.chance(0.3)) contentType = undefined;
      break;
    case 'invalidUtf8': {
      const [head, tail] = toJson({ ...body, x: UTF8_SLOT }).split(UTF8_SLOT) as [string, string];
      text = Buffer.concat([Buffer.from(head), Buffer.from(r.pick(INVALID_UTF8)), Buffer.from(tail)]);
      break;
    }
  }
  text ??= toJson(body);
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  return {
    path: fillPath(r, rt.url, { allowReal: true }) + (r.chance(0.1) ? `?${genQuery(r, [])}` : ''),
    token: tokenFor(r, rt.url),
    contentType,
    body: buf.length > BODY_LIMIT ? buf.subarray(0, BODY_LIMIT - 1) : buf,
    desc,
  };
}

function bigBody(r: Rng, rt: { method: string; url: string }, chunked: boolean): PlannedRequest {
  const size = BODY_LIMIT + r.logInt(1, 512 * 1024);
  const text = Buffer.from(toJson({ ...bodyTemplate(r, `${rt.method} ${rt.url}`), pad: 'x'.repeat(size) }));
  let body: PlannedRequest['body'] = text;
  if (chunked) {
    let offset = 0;
    body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= text.length) return controller.close();
        controller.enqueue(text.subarray(offset, (offset += 64 * 1024)));
      },
    });
  }
  return {
    path: fillPath(r, rt.url, { allowReal: true, onlyReal: true }),
    token: rt.url.includes('logout') ? undefined : alice.token,
    contentType: 'application/json',
    body,
    mustBe: 413,
    desc: `body of ${text.length} B${chunked ? ' (chunked)' : ''}`,
  };
}

const QUERY_KEYS: Record<string, string[]> = {
  '/api/users': ['query'],
  '/api/conversations/:id/messages': ['limit', 'offset', 'before_seq', 'after_seq'],
  '/api/ws': ['token'],
};
const WEIRD_QUERY_KEYS = [
  '__proto__',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'a[b][c][d]',
  'a[]',
  '',
  '%00',
  '%FF',
  'limit[]',
  'limit[$gt]',
  'query[0]',
];

function genQuery(r: Rng, known: string[]): string {
  const n = r.int(0, 6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = known.length && r.chance(0.7) ? r.pick(known) : r.pick(WEIRD_QUERY_KEYS);
    const value = r.pick([
      '',
      '0',
      '-0',
      '-1',
      '1',
      '50',
      '100',
      '101',
      '1e308',
      '1e400',
      'NaN',
      'Infinity',
      '-Infinity',
      '9007199254740993',
      '2147483647',
      '2147483648',
      '0x10',
      '%201',
      '1%20',
      '1.5',
      'true',
      'null',
      '%00',
      'a%00b',
      '%FF',
      '%',
      '%zz',
      '%E2%80%AE',
      encodeURIComponent('𝕏'),
      'x'.repeat(r.logInt(1, 1000)),
      '__proto__',
      encodeURIComponent("' OR 1=1 --"),
      encodeURIComponent('%_\\'),
      r.uuid(),
    ]);
    parts.push(r.chance(0.05) ? key : `${key}=${value}`);
  }
  return parts.join(r.chance(0.9) ? '&' : ';');
}

function planQuery(r: Rng, rt: { method: string; url: string }): PlannedRequest {
  const query = genQuery(r, QUERY_KEYS[rt.url] ?? []);
  return {
    path: `${fillPath(r, rt.url, { allowReal: true })}?${query}`,
    token: tokenFor(r, rt.url),
    desc: 'querystring',
  };
}

async function send(rt: { method: string; url: string }, req: PlannedRequest, stats: RestStats) {
  const t0 = performance.now();
  const headers: Record<string, string> = {};
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  const route = `${rt.method} ${rt.url}`;
  const example = () =>
    `${rt.method} ${req.path.slice(0, 160)} [${req.desc}] ct=${JSON.stringify(req.contentType)} body=${
      req.body === undefined ? 'none' : req.body instanceof Buffer ? show(req.body, 160) : 'stream'
    }`;
  stats.requests++;
  if (req.body !== undefined) stats.bodies++;
  else stats.queries++;
  let status: number;
  let text: string;
  try {
    const res = await fetch(s.base + req.path, {
      method: rt.method,
      headers,
      body: req.body,
      ...(req.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    status = res.status;
    text = await res.text();
  } catch (err) {
    finding(`rest: ${route}: the request failed at the connection level`, `${(err as Error).message}: ${example()}`);
    return;
  }
  stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
  stats.msByRoute.set(route, (stats.msByRoute.get(route) ?? 0) + performance.now() - t0);
  if (status >= 500) {
    finding(`rest: ${route} answered ${status}`, `${example()} -> ${text.slice(0, 160)}`);
    return;
  }
  if (req.mustBe && status !== req.mustBe) {
    finding(
      `rest: ${route}: ${req.desc.replace(/\d+/g, 'N')} must get ${req.mustBe}`,
      `${example()} -> ${status} ${text.slice(0, 160)}`,
    );
  }
  if (status >= 400) {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const e = body?.error;
    const shaped =
      e !== null &&
      typeof e === 'object' &&
      (ERROR_CODES as readonly string[]).includes(e.code) &&
      typeof e.message === 'string';
    if (!shaped) {
      finding(
        `rest: a ${status} without the {error:{code,message}} body (${typeof body?.code === 'string' ? body.code : text ? 'another shape' : 'empty body'})`,
        `${example()} -> ${JSON.stringify(text.slice(0, 200))}`,
      );
    } else if (!CLIENT_CODES.has(e.code) && e.code !== 'rate_limited') {
      finding(`rest: ${route}: a ${status} with code ${e.code}`, example());
    }
  }
}
