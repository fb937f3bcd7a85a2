import type { Ctx } from '../context.js';
import type { Queryable } from '../db/client.js';
import { AppError } from '../errors.js';
import type { SearchQuery, SearchResult } from '../../protocol/search.js';
import { SYSTEM_MESSAGE_TYPES } from '../../protocol/messages.js';
import { requireMember } from '../conversations/access.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from '../messages/presenter.js';
import { searchUsers } from '../users/service.js';
import { expandPrefixes, SEARCH_INDEXES } from './words.js';
import { isUuid } from '../ids.js';

// Scripts written without spaces between words: full-text lexemes do not split them.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
// Operators of websearch_to_tsquery: quotes (phrases), a leading minus (not), "or".
const WEBSEARCH = /"|(^|\s)-\S|\sor\s/i;

/** Words of the query as safe lexemes (letters and digits only), at most 8: what a snippet marks. */
const words = (q: string) => (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
/**
 * The query's terms, at most 8: runs of letters and digits, alone or joined by `. @ / + -`
 * ("example.com", "arr.map"), which a message's vector holds whole: split at the dot, "com" is
 * a word no message holds. No tsquery operator is among them; to_tsquery (and expandPrefixes)
 * parse each as to_tsvector parsed the messages, so both give the same lexemes (decision 042).
 */
const terms = (q: string) => (q.toLowerCase().match(/[\p{L}\p{N}]+(?:[.@/+-][\p{L}\p{N}]+)*/gu) ?? []).slice(0, 8);

/** The caller ($1) is a member of the message's conversation. */
const MEMBER =
  'EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.user_id = $1)';

/** What members wrote (text, and the captions of photos and files): not calls or group events. */
const WRITTEN = `m.kind NOT IN (${SYSTEM_MESSAGE_TYPES.map((k) => `'${k}'`).join(', ')})`;

/**
 * How many of the newest messages a search reads first. Most searches are for words people
 * use often, and their newest matches are among the newest messages: found there, by walking
 * back in time through an index, a search costs the same however many messages match. Only
 * a search that finds fewer than it asked for there asks the full-text index for every match.
 */
export const RECENT_WINDOW = 10_000;

/** work_mem of the full-text index step: at 10M messages, 32 MB kept a 1.7M-message word's matches exact. */
const SEARCH_WORK_MEM = '64MB';

/**
 * Full-text search over the caller's conversations only (membership is the scope), in the
 * language-neutral `simple` configuration, newest first (decision 016). Plain words match as
 * prefixes (`lun` finds "lunch"); quotes, `-word` and `or` use websearch_to_tsquery. Queries in
 * scripts without spaces (Chinese, Japanese, Korean, Thai) fall back to a substring match. The
 * snippet marks the words that matched; `rank` is ts_rank, for information.
 */
export async function search(ctx: Ctx, userId: string, q: SearchQuery): Promise<SearchResult> {
  // Within one conversation: the caller's own, or the same 404 as every conversation route.
  if (q.conversation_id !== undefined) await requireMember(ctx.db, q.conversation_id, userId);
  // People only on the first page: the next pages are more of the same messages.
  // Asked at once, beside the messages (awaited by the answer; caught, should the messages fail).
  const users = q.before === undefined ? searchUsers(ctx, userId, q.q.slice(0, 96)) : Promise.resolve([]);
  users.catch(() => {});
  const scope = q.conversation_id ?? null;
  // One more than asked for: whether there is a next page.
  const want = q.limit + 1;
  const page = (ids: string[]): Page => ({ ids: ids.slice(0, q.limit), hasMore: ids.length > q.limit });

  if (UNSPACED.test(q.q)) {
    const pattern = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const found = await bounded(ctx, '', async (tx) => {
      const p = new Params(userId, pattern, scope, want);
      const after = await continuing(tx, p, q, scope);
      if (after === null) return page([]);
      const { rows } = await tx.query<{ id: string }>(
        `SELECT m.id FROM messages m
          WHERE m.body ILIKE $2 AND m.deleted_at IS NULL AND ${WRITTEN} AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid)
            AND ${MEMBER} AND ${after('m')}
          ORDER BY ${orderOf(scope, 'm')} LIMIT $4`,
        p.values,
      );
      return page(rows.map((r) => r.id));
    });
    return answer(ctx, users, found, { sql: '1::float4' }, (body) => substringSnippet(body, q.q));
  }

  const lexemes = terms(q.q);
  if (lexemes.length === 0) return { messages: [], users: await users, has_more: false };
  // What to mark in the snippet: the query's words, less the excluded ones (-word).
  const excluded = new Set(words((q.q.match(/(?:^|\s)-[\p{L}\p{N}]+/gu) ?? []).join(' ')));
  const wanted = lexemes.filter((w) => !excluded.has(w));
  const tsquery = WEBSEARCH.test(q.q)
    ? { fn: 'websearch_to_tsquery', text: q.q }
    : { fn: 'to_tsquery', text: lexemes.map((w) => `${w}:*`).join(' & ') };
  const query = `${tsquery.fn}('simple', $2) AS query`;
  // A live message written in a conversation of the caller's that the query matches; `inScope`: in the asked conversation, if any.
  const live = `m.deleted_at IS NULL AND ${WRITTEN} AND ${MEMBER}`;
  const matches = `m.search_vector @@ query AND ${live}`;
  const inScope = '($4::uuid IS NULL OR m.conversation_id = $4::uuid)';
  const order = orderOf(scope, 'm');
  const first = await bounded(ctx, '', async (tx) => {
    const p = new Params(userId, tsquery.text, want, scope);
    const after = await continuing(tx, p, q, scope);
    if (after === null) return page([]);
    // 1. The newest messages (after the previous page, if any), walked back in time by index
    // (one conversation's by seq), so the walk stops at the want'th match. Across
    // conversations the window ends with every message of its last moment (WITH TIES): the
    // matches among them are then exactly the newest by time and id, without sorting the
    // window by id too (one batch's messages share a moment).
    const window = scope
      ? `WHERE conversation_id = $4 AND ${after('messages')} ORDER BY seq DESC LIMIT ${RECENT_WINDOW}`
      : `WHERE $4::uuid IS NULL AND ${after('messages')}
          ORDER BY created_at DESC FETCH FIRST ${RECENT_WINDOW} ROWS WITH TIES`;
    const newest = await tx.query<{ id: string }>(
      `SELECT m.id FROM ${query}, (SELECT * FROM messages ${window}) m
        WHERE ${matches} ORDER BY ${order} LIMIT $3`,
      p.values,
    );
    if (newest.rows.length === want) return page(newest.rows.map((r) => r.id));
    // Prefixes are expanded into the whole words they begin (decision 020): the full-text
    // index streams and intersects whole words' lists, but gathers every match of a prefix
    // into a bitmap first (two words in 1.7M of 10M messages each: 81 ms, against 219 ms as prefixes).
    const expansion = tsquery.fn === 'to_tsquery' ? await expandPrefixes(tx, lexemes) : null;
    return { p, after, expansion };
  });
  const respond = (found: Page) =>
    answer(
      ctx,
      users,
      found,
      { sql: `ts_rank(m.search_vector, ${tsquery.fn}('simple', $2))`, params: [tsquery.text] },
      (body) => wordSnippet(body, wanted),
    );
  if ('ids' in first) return respond(first);

  // 2. Too few there: every match, from the full-text index, once, checked against the
  // caller's memberships in a hash. The index is in two halves, by the parity of seq (decision
  // 032): each half is searched in a transaction of its own, both at once, so that two of
  // PostgreSQL's cores intersect the words' lists (a half's are half as long), and the
  // newest of both halves' answers are kept.
  const { after, expansion } = first;
  // The planner is kept from two plans it picks on bad estimates: walking the time index
  // again (it expects matches to be spread evenly: for a rare word that reads the whole
  // table), and a loop over the caller's conversations that scans the full-text index once
  // for each (it thinks most users are in few). Memory enough for the matches of common words
  // to stay exact: a lossy bitmap makes PostgreSQL read and recheck every message of a page.
  // No JIT and no parallel workers: a prefix's matches are badly estimated, and starting both
  // took 50–80 ms for a search that then ran in 0.3 ms.
  const planner = `SET LOCAL enable_indexscan = off; SET LOCAL enable_nestloop = off;
    SET LOCAL work_mem = '${SEARCH_WORK_MEM}'; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0`;
  // The newest `want` of a statement's matches (`found`), each with its place in the order:
  // the time in microseconds, exact as text (computed for those kept only).
  const newestWanted = (found: string) =>
    `SELECT id, seq, (extract(epoch FROM created_at) * 1000000)::bigint::text AS at
       FROM (${found}) found ORDER BY ${orderOf(scope, 'found')} LIMIT $3`;
  const halves = await Promise.all(
    SEARCH_INDEXES.map((_, half) =>
      bounded(ctx, planner, async (tx) => {
        const p = new Params(...first.p.values);
        const within = `${inScope} AND ${after('m')} AND ${inHalf(half, 'm')}`;
        if (!expansion) {
          const all = await tx.query<Found>(
            newestWanted(`SELECT m.id, m.created_at, m.seq FROM ${query}, messages m WHERE ${matches} AND ${within}`),
            p.values,
          );
          return all.rows;
        }
        // The words cover the messages created and edited before `through`; the few since are
        // read by time and matched as prefixes (materialized: never through the full-text
        // index), less those the words found already (one message is in both when edited since).
        // One `@@` per query word, not one query joined by `&`: the index then scans each word
        // as a key of its own and skips, in each, past the other's next match. As one key, it
        // tests every match of one word against the other: where the words come in runs (a
        // topic of a day), 62 ms against 8.5 for two words in 1.7M of 10M messages each, never
        // together; scattered at random, 86 against 75 ms (decision 025).
        const through = p.add(expansion.through);
        const wordsMatch = expansion.words?.map((w) => `m.search_vector @@ ${p.add(w)}::tsquery`).join(' AND ');
        const [covered, notCovered] = wordsMatch
          ? [
              `SELECT m.id, m.created_at, m.seq FROM messages m WHERE ${wordsMatch} AND ${live} AND ${within} UNION ALL `,
              `AND NOT (${wordsMatch})`,
            ]
          : ['', ''];
        const all = await tx.query<Found>(
          `WITH recent AS MATERIALIZED (
             SELECT id, created_at, seq, conversation_id, deleted_at, kind, search_vector FROM messages
              WHERE (created_at >= ${through} OR edited_at >= ${through}) AND ${inHalf(half, 'messages')})
           ${newestWanted(`${covered}SELECT m.id, m.created_at, m.seq FROM ${query}, recent m
                            WHERE ${matches} ${notCovered} AND ${within}`)}`,
          p.values,
        );
        return all.rows;
      }),
    ),
  );
  return respond(page(newestOf(halves.flat(), scope).map((r) => r.id)));
}

/** A user id that is no one's: a search by it is in no conversation, and finds nothing. */
const NO_ONE = '00000000-0000-0000-0000-000000000000';
/** A word with a digit, so matched as a prefix in the full-text index itself (see expandPrefixes). */
const WARM_WORD = 'chatify0warm';

/**
 * Readies search at start, on a PostgreSQL server: a search by no one opens the two
 * connections the every-match step uses at once (the pool keeps two), and each reads the
 * catalogs that search's statements are planned with. Without it the first searches after a
 * start paid for both (a new connection took 22–40 ms here, and its first search statement
 * about 12 ms more to plan): a fresh server's first search of two common words took 114 ms
 * without it and 71 with it, its second 55 and 44, later ones 29 (medians, 2M messages:
 * docs/benchmarks.md, session 27).
 */
export async function warmSearch(ctx: Ctx): Promise<void> {
  if (ctx.db.kind !== 'pg') return;
  await search(ctx, NO_ONE, { q: WARM_WORD, limit: 1 });
}

/** A page of found messages' ids, in order, and whether more were found. */
interface Page {
  ids: string[];
  hasMore: boolean;
}

/** The answer: the found messages presented in the order found, with their rank and snippet. */
async function answer(
  ctx: Ctx,
  users: Promise<SearchResult['users']>,
  found: Page,
  rank: { sql: string; params?: unknown[] },
  snippet: (body: string) => SearchResult['messages'][number]['snippet'],
): Promise<SearchResult> {
  const [rows, people] = await Promise.all([present(ctx, found.ids, rank.sql, rank.params), users]);
  return {
    users: people,
    messages: rows.map((r) => ({ message: presentMessage(r), rank: r.rank, snippet: snippet(r.body) })),
    has_more: found.hasMore,
  };
}

/** A match of the every-match step: its id, and its place in the order (`at`: microseconds since 1970, as text). */
interface Found {
  id: string;
  at: string;
  seq: number;
}

/** The newest of matches found apart, in `orderOf`'s order: by seq in one conversation, else by time, then id. */
function newestOf(rows: Found[], scope: string | null): Found[] {
  const byTime = (a: Found, b: Found) => {
    const [x, y] = [BigInt(a.at), BigInt(b.at)];
    if (x !== y) return x > y ? -1 : 1;
    return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
  };
  return rows.sort(scope ? (a, b) => b.seq - a.seq : byTime);
}

/**
 * The messages of one half of the full-text index (0 or 1): the condition each half's partial
 * index is built on (migration 0013), written out so that PostgreSQL picks that index.
 */
export const inHalf = (half: number, alias: string) => `(${alias}.seq & 1) = ${half}`;

/** A statement's parameters: the first ones fixed, more added as `$n`. */
class Params {
  readonly values: unknown[];
  constructor(...first: unknown[]) {
    this.values = first;
  }
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Results' order: newest first. In one conversation by seq, the order its members see; across
 * conversations by time, then id (one batch's messages share a time).
 */
const orderOf = (scope: string | null, alias: string) =>
  scope ? `${alias}.seq DESC` : `${alias}.created_at DESC, ${alias}.id DESC`;

/**
 * Where a page starts: past `before`, the previous page's last message, in `orderOf`'s order
 * (a condition on `alias`, its values added to `p`); every message on the first page. Null when
 * `before` is not a message the caller may search (an empty page: nothing to say about it).
 */
async function continuing(
  tx: Queryable,
  p: Params,
  q: SearchQuery,
  scope: string | null,
): Promise<((alias: string) => string) | null> {
  if (q.before === undefined) return () => 'true';
  if (!isUuid(q.before)) return null;
  // Its time as text: a Date would cut it to the millisecond.
  const { rows } = await tx.query<{ at: string; seq: number }>(
    `SELECT m.created_at::text AS at, m.seq FROM messages m
      WHERE m.id = $2 AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid) AND ${MEMBER}`,
    [p.values[0], q.before, scope],
  );
  const last = rows[0];
  if (!last) return null;
  if (scope) {
    const seq = p.add(last.seq);
    return (a) => `${a}.seq < ${seq}`;
  }
  const [at, id] = [p.add(last.at), p.add(q.before)];
  // Spelled out, not as a row comparison: the time index bounds the walk either way.
  return (a) =>
    `${a}.created_at <= ${at}::timestamptz AND (${a}.created_at < ${at}::timestamptz OR ${a}.id < ${id}::uuid)`;
}

/**
 * The found messages in the order found, with `rank` from `rankSql` (its parameters from $2).
 * (One deleted since it was found is left out.)
 */
async function present(ctx: Ctx, ids: string[], rankSql: string, params: unknown[] = []) {
  if (ids.length === 0) return [];
  const { rows } = await ctx.db.query<MessageRow & { rank: number }>(
    `SELECT ${MESSAGE_FIELDS}, ${rankSql} AS rank FROM messages m ${MESSAGE_JOINS}
      WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL`,
    [ids, ...params],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Runs a search's statements in one transaction, under PostgreSQL's own time limit
 * (SEARCH_TIMEOUT_MS) for each. A search that matches a great many messages in a way the
 * newest ones cannot answer can take seconds at millions of messages; stopped by the server,
 * it fails alone with a clear answer. (Left to the client-side statement timeout instead, it
 * would be taken for the database being down: a 503 for everyone for a moment and a
 * connection thrown away.) PGlite has no statement timeout: there it only runs the transaction.
 * `settings` (SET LOCAL statements, or '') are made first, with the time limit.
 */
async function bounded<T>(ctx: Ctx, settings: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (ctx.db.kind !== 'pg') {
    return ctx.db.transaction(async (tx) => {
      if (settings) await tx.exec(settings);
      return fn(tx);
    });
  }
  const ms = ctx.config.SEARCH_TIMEOUT_MS;
  try {
    return await ctx.db.transaction(
      async (tx) => {
        // With the statements' own settings, in one round trip.
        await tx.exec(`SET LOCAL statement_timeout = ${ms}; ${settings}`);
        return fn(tx);
      },
      // The client-side limit must come after the server's own.
      { queryTimeoutMs: Math.max(ctx.config.DATABASE_QUERY_TIMEOUT_MS, ms + 1_000) },
    );
  } catch (err) {
    if ((err as { code?: unknown }).code === '57014') {
      throw new AppError(
        'unavailable',
        'This search matches too many messages to finish in time: add a word to narrow it down',
      );
    }
    throw err;
  }
}

/**
 * The message text around its first matching word, cut to about 160 characters, with every
 * word that starts with a query word marked. Built from the stored text itself, so it is
 * faithful to what was sent (markup-like text included) and rendered by clients as text.
 */
function wordSnippet(body: string, wanted: string[]) {
  const hits: [number, number][] = [];
  for (const m of body.matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = m[0].toLowerCase();
    if (wanted.some((w) => word.startsWith(w))) hits.push([m.index, m.index + m[0].length]);
  }
  const first = hits[0]?.[0] ?? 0;
  const start = first > 60 ? body.lastIndexOf(' ', first - 40) + 1 : 0;
  const end = Math.min(body.length, start + 160);
  const parts: { text: string; hit: boolean }[] = [];
  let at = start;
  for (const [a, b] of hits) {
    if (a < start || b > end) continue;
    if (a > at) parts.push({ text: body.slice(at, a), hit: false });
    parts.push({ text: body.slice(a, b), hit: true });
    at = b;
  }
  if (at < end) parts.push({ text: body.slice(at, end), hit: false });
  if (start > 0) parts.unshift({ text: '…', hit: false });
  if (end < body.length) parts.push({ text: '…', hit: false });
  return parts;
}

/** Around the first case-insensitive occurrence, for the substring fallback. */
function substringSnippet(body: string, q: string) {
  const at = body.toLowerCase().indexOf(q.toLowerCase());
  if (at < 0) return [{ text: body.slice(0, 120), hit: false }];
  const start = Math.max(0, at - 40);
  const end = Math.min(body.length, at + q.length + 60);
  return [
    { text: (start > 0 ? '…' : '') + body.slice(start, at), hit: false },
    { text: body.slice(at, at + q.length), hit: true },
    { text: body.slice(at + q.length, end) + (end < body.length ? '…' : ''), hit: false },
  ].filter((p) => p.text);
}
