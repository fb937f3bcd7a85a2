/**
 * The REST fuzzer's generator (fuzz-rest.test.ts): a valid body for every route, the mutations
 * that break it, bodies over the limit, hostile path parameters, tokens and querystrings.
 */
import {
  Rng,
  Raw,
  toJson,
  setOwn,
  slots,
  containers,
  put,
  PROTO_KEYS,
  MALFORMED_CONSTANTS,
  wrongValue,
  protoValue,
  deepText,
  longString,
  UTF8_SLOT,
  INVALID_UTF8,
} from './fuzz-kit.js';
import { alice, bob, carol, direct, group } from './fuzz-harness.js';

const BODY_LIMIT = 1024 * 1024;

export interface RestStats {
  requests: number;
  bodies: number;
  queries: number;
  byStatus: Map<number, number>;
  /** Time spent waiting per route (to see where the run time goes). */
  msByRoute: Map<string, number>;
}

export interface PlannedRequest {
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

export function fillPath(r: Rng, url: string, opts: { allowReal: boolean; onlyReal?: boolean }): string {
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

export function tokenFor(r: Rng, url: string): string | undefined {
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

export function planBody(r: Rng, rt: { method: string; url: string }): PlannedRequest {
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

export function bigBody(r: Rng, rt: { method: string; url: string }, chunked: boolean): PlannedRequest {
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

export function genQuery(r: Rng, known: string[]): string {
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

export function planQuery(r: Rng, rt: { method: string; url: string }): PlannedRequest {
  const query = genQuery(r, QUERY_KEYS[rt.url] ?? []);
  return {
    path: `${fillPath(r, rt.url, { allowReal: true })}?${query}`,
    token: tokenFor(r, rt.url),
    desc: 'querystring',
  };
}
