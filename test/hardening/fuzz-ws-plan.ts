/**
 * The WebSocket fuzzer's generator (fuzz-ws.test.ts): valid frames of every client type, the
 * mutations that break them, the frames that must close a socket, and the oracle that says
 * what the server must answer to each, by the wire contract in protocol/frames.ts.
 */
import { CLIENT_FRAME_TYPES, ClientPayloads, Envelope, WS_LIMITS } from '../../protocol/frames.js';
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
  MALFORMED_CONSTANTS,
  wrongValue,
  protoValue,
  deepText,
  longString,
  UTF8_SLOT,
  INVALID_UTF8,
} from './fuzz-kit.js';

export const MAX_FRAME = WS_LIMITS.maxFrameBytes;

export interface Reply {
  type: string;
  payload: any;
  id?: unknown;
}

/** What the server must answer, by the wire contract in protocol/frames.ts. */
export type Expectation = { kind: 'error'; code: string; id?: unknown } | { kind: 'ok'; type: string; id?: unknown };

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

export interface Pools {
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
    case 'call_media':
      return { call_id: callId, muted: r.chance(0.5), camera_off: r.chance(0.5) };
    case 'call_decline':
    case 'call_cancel':
    case 'call_end':
    case 'call_rejoin':
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

export interface Planned {
  wire: Buffer;
  binary: boolean;
  uid?: string;
  expect: Expectation;
  desc: string;
}

const opaqueKey = (payload: unknown) =>
  isRecord(payload) ? ['offer', 'answer', 'candidate'].find((k) => Object.hasOwn(payload, k)) : undefined;

/** One fuzzed frame. `uid` is the unique id it carries, when the mutation left it in place. */
export function planFrame(r: Rng, p: Pools, uid: string): Planned {
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
export function planCloser(r: Rng, p: Pools): { wire: Buffer; code: number; desc: string } {
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
