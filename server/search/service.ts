import type { Ctx } from '../context.js';
import { AppError } from '../errors.js';
import type { SearchQuery, SearchResult } from '../../protocol/search.js';
import { isUuid } from '../ids.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from '../messages/presenter.js';
import { searchUsers } from '../users/service.js';

// Scripts written without spaces between words: full-text lexemes do not split them.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
// Operators of websearch_to_tsquery: quotes (phrases), a leading minus (not), "or".
const WEBSEARCH = /"|(^|\s)-\S|\sor\s/i;

/** Words of the query as safe lexemes (letters and digits only), at most 8. */
const words = (q: string) => (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);

/**
 * Full-text search over the caller's conversations only (the member join is the scope), in the
 * language-neutral `simple` configuration. Plain words match as prefixes (`lun` finds
 * "lunch"); quotes, `-word` and `or` use websearch_to_tsquery. Queries in scripts without
 * spaces (Chinese, Japanese, Korean, Thai) fall back to a substring match. Ranked by
 * ts_rank, newest first among equals; the snippet marks the words that matched.
 */
export async function search(ctx: Ctx, userId: string, q: SearchQuery): Promise<SearchResult> {
  const users = await searchUsers(ctx, userId, q.q.slice(0, 96));
  if (q.conversation_id !== undefined && !isUuid(q.conversation_id)) return { messages: [], users };
  const scope = q.conversation_id ?? null;

  let rows: (MessageRow & { rank: number })[];
  if (UNSPACED.test(q.q)) {
    const pattern = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    ({ rows } = await bounded<MessageRow & { rank: number }>(
      ctx,
      `SELECT ${MESSAGE_FIELDS}, 1::float4 AS rank
         FROM messages m ${MESSAGE_JOINS}
         JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1
        WHERE m.body ILIKE $2 AND m.deleted_at IS NULL AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid)
        ORDER BY m.created_at DESC LIMIT $4`,
      [userId, pattern, scope, q.limit],
    ));
    return {
      users,
      messages: rows.map((r) => ({ message: presentMessage(r), rank: r.rank, snippet: substringSnippet(r.body, q.q) })),
    };
  }

  const lexemes = words(q.q);
  if (lexemes.length === 0) return { messages: [], users };
  // What to mark in the snippet: the query's words, less the excluded ones (-word).
  const excluded = new Set(words((q.q.match(/(?:^|\s)-[\p{L}\p{N}]+/gu) ?? []).join(' ')));
  const wanted = lexemes.filter((w) => !excluded.has(w));
  const tsquery = WEBSEARCH.test(q.q)
    ? { fn: 'websearch_to_tsquery', text: q.q }
    : { fn: 'to_tsquery', text: lexemes.map((w) => `${w}:*`).join(' & ') };
  ({ rows } = await bounded<MessageRow & { rank: number }>(
    ctx,
    `SELECT ${MESSAGE_FIELDS}, ts_rank(m.search_vector, query) AS rank
       FROM ${tsquery.fn}('simple', $2) AS query,
            messages m ${MESSAGE_JOINS}
       JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1
      WHERE m.search_vector @@ query AND m.deleted_at IS NULL
        AND ($3::uuid IS NULL OR m.conversation_id = $3::uuid)
      ORDER BY rank DESC, m.created_at DESC
      LIMIT $4`,
    [userId, tsquery.text, scope, q.limit],
  ));
  return {
    users,
    messages: rows.map((r) => ({ message: presentMessage(r), rank: r.rank, snippet: wordSnippet(r.body, wanted) })),
  };
}

/**
 * Runs a search statement with PostgreSQL's own time limit (SEARCH_TIMEOUT_MS). A search that
 * matches a great many messages ranks them all, which at millions of messages can take seconds;
 * stopped by the server, it fails alone with a clear answer. (Left to the client-side statement
 * timeout instead, it would be taken for the database being down: a 503 for everyone for a
 * moment and a connection thrown away.)
 */
async function bounded<R>(ctx: Ctx, sql: string, params: unknown[]): Promise<{ rows: R[] }> {
  if (ctx.db.kind !== 'pg') return ctx.db.query<R>(sql, params);
  const ms = ctx.config.SEARCH_TIMEOUT_MS;
  try {
    return await ctx.db.transaction(
      async (tx) => {
        await tx.exec(`SET LOCAL statement_timeout = ${ms}`);
        return tx.query<R>(sql, params);
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
