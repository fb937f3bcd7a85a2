import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The fuzzer's tools (test/hardening/fuzz-ws.test.ts, fuzz-rest.test.ts): seeded randomness,
// JSON with raw tokens, hostile values, and checks on the process (prototypes, garbage collection).

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32).

export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Log-uniform: small values often, huge ones sometimes. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.next() * (Math.log(hi + 1) - Math.log(lo)))));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T extends string>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of entries) if ((x -= w) < 0) return v;
    return entries[entries.length - 1]![0];
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${this.hex(3)}-${this.hex(12)}`;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with raw tokens: `new Raw('1e400')` is written verbatim (numbers JSON.stringify cannot
// produce, or pre-built deeply nested text).

export class Raw {
  constructor(readonly text: string) {}
}

export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Raw ? `\u0000RAW${raws.push(v.text) - 1}\u0000` : v,
  );
  if (text === undefined) return 'null';
  return text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

/** `{[key]: value}` as an own, enumerable property, even for `__proto__`. */
function own(key: string, value: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}
export function setOwn(o: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !(v instanceof Raw);

/** A copy of a shared constant, so that a later mutation of this frame cannot change it. */
export const fresh = (v: unknown): unknown => (isRecord(v) ? JSON.parse(JSON.stringify(v)) : v);

/** Every [container, key] in a value (objects and arrays), so a mutation can hit any level. */
export function slots(root: unknown, depth = 0, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (depth > 6) return out;
  if (Array.isArray(root)) {
    root.forEach((v, i) => {
      out.push([root, i]);
      slots(v, depth + 1, out);
    });
  } else if (isRecord(root)) {
    for (const k of Object.keys(root)) {
      out.push([root, k]);
      slots(root[k], depth + 1, out);
    }
  }
  return out;
}
export function containers(root: unknown, depth = 0, out: Record<string, unknown>[] = []) {
  if (depth > 6) return out;
  if (Array.isArray(root)) root.forEach((v) => containers(v, depth + 1, out));
  else if (isRecord(root)) {
    out.push(root);
    for (const v of Object.values(root)) containers(v, depth + 1, out);
  }
  return out;
}
export function put(slot: [Record<string, unknown> | unknown[], string | number], value: unknown) {
  const [c, k] = slot;
  if (Array.isArray(c)) c[k as number] = value;
  else setOwn(c, k as string, value);
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const POLLUTION_KEYS = ['polluted', 'fuzzPolluted', 'isAdmin'] as const;
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const HUGE_NUMBERS = [
  '1e308',
  '-1e308',
  '1e400',
  '-1e400',
  '-0',
  '0.0',
  '1.0',
  '1E2',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1e-400',
  '5e-324',
  '2147483648',
  '-2147483649',
  '4294967296',
];

export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\ufeff',
  '𝕏𝕏𝕏',
  '👩‍👩‍👧‍👦',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'true',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  "'); DROP TABLE messages; --",
  '%00',
  '%s%s%s%n',
  '${7*7}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '\\',
  '"',
];

export function wrongValue(r: Rng): unknown {
  switch (r.int(0, 9)) {
    case 0:
      return r.pick([null, true, false]);
    case 1:
      return r.pick([0, -1, 1.5, 1e308, -1e308, Number.MIN_VALUE, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1]);
    case 2:
    case 3:
      return new Raw(r.pick(HUGE_NUMBERS));
    case 4:
    case 5:
      return r.pick(NASTY_STRINGS);
    case 6:
      return r.pick([[], {}, [1, 2, 3], ['x'], { a: 1 }, [null], [[[]]]]);
    case 7:
      return own(r.pick(PROTO_KEYS), { [r.pick(POLLUTION_KEYS)]: true });
    case 8:
      return 'x'.repeat(r.logInt(1, 5000));
    default:
      return r.uuid().toUpperCase();
  }
}

export function protoValue(r: Rng): unknown {
  const key = r.pick(POLLUTION_KEYS);
  return r.pick([
    { [key]: true },
    { prototype: { [key]: true } },
    own('__proto__', { [key]: 'yes' }),
    own('constructor', { prototype: { [key]: 1 } }),
    { toString: 'x', valueOf: 1, hasOwnProperty: null },
    'x',
    null,
    1,
    [],
    [{ [key]: true }],
  ]);
}

/** Deeply nested JSON text of at most `maxBytes` bytes. */
export function deepText(r: Rng, maxBytes: number): { text: string; desc: string } {
  const kind = r.pick(['arrays', 'objects', 'proto', 'mixed'] as const);
  const unit = { arrays: ['[', ']'], objects: ['{"a":', '}'], proto: ['{"__proto__":', '}'], mixed: ['[{"c":', '}]'] }[
    kind
  ];
  const inner = kind === 'proto' ? '{"polluted":true}' : '1';
  const max = Math.max(1, Math.floor((maxBytes - inner.length) / (unit[0]!.length + unit[1]!.length)));
  const depth = r.logInt(Math.min(64, max), max);
  return { text: unit[0]!.repeat(depth) + inner + unit[1]!.repeat(depth), desc: `${kind} x${depth}` };
}

export function longString(r: Rng, maxBytes: number): string {
  const unit = r.pick(['x', 'é', '𝕏', '\u0000', ' ', '\\', 'ab"c']);
  const bytes = Buffer.byteLength(unit);
  return unit.repeat(Math.max(1, Math.floor(r.logInt(256, Math.max(256, maxBytes)) / (bytes + 2))));
}

/** Where invalid UTF-8 bytes go into an otherwise valid JSON text. */
export const UTF8_SLOT = 'UTF8SLOT';
export const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
];

/** JSON texts that are not JSON (or not the JSON they seem), for frames and bodies alike. */
export const MALFORMED_CONSTANTS = [
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

// Object.prototype and friends, to prove nothing was added or replaced.
const PROTOS = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};
export type Snapshot = Record<string, Map<string | symbol, PropertyDescriptor>>;
export function snapshotProtos(): Snapshot {
  const out: Snapshot = {};
  for (const [name, proto] of Object.entries(PROTOS)) {
    out[name] = new Map(Reflect.ownKeys(proto).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)!]));
  }
  return out;
}
export function protoChanges(before: Snapshot): string[] {
  const changes: string[] = [];
  const now = snapshotProtos();
  for (const name of Object.keys(PROTOS)) {
    const a = before[name]!;
    const b = now[name]!;
    for (const [k, d] of b) {
      const old = a.get(k);
      if (!old) changes.push(`${name}.prototype gained ${String(k)}`);
      else if (old.value !== d.value || old.get !== d.get || old.set !== d.set)
        changes.push(`${name}.prototype.${String(k)} replaced`);
    }
    for (const k of a.keys()) if (!b.has(k)) changes.push(`${name}.prototype lost ${String(k)}`);
  }
  const probe = {} as Record<string, unknown>;
  for (const k of POLLUTION_KEYS) if (probe[k] !== undefined) changes.push(`({}).${k} is ${String(probe[k])}`);
  return changes;
}

/** A real GC: `--expose-gc` if vitest passed it, else the V8 flag set at runtime (a new context sees `gc`). */
export function findGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fromContext = runInNewContext('gc') as unknown;
    return typeof fromContext === 'function' ? (fromContext as () => void) : null;
  } catch {
    return null;
  }
}
