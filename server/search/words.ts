import type { Ctx } from '../context.js';
import type { Queryable } from '../db/client.js';

/**
 * Messages read per pass. A pass that reads this many runs again at once: after an import or
 * an upgrade the words catch up at full speed (10M messages in 70–80 s here).
 */
const CHUNK = 20_000;
/**
 * A transaction takes its start time (a message's created_at, an edit's edited_at) a moment
 * before it shows in pg_stat_activity: the horizon stays this far behind the clock.
 */
const MARGIN = '2 seconds';
/**
 * The words kept: those without a digit. Numbers, dates, codes, ids and hashes are most of the
 * words only one message has (a message of new UUIDs made the words index a third of the
 * server's write-ahead log). A query word with a digit is matched as a prefix instead.
 */
const WORD = `w !~ '[0-9]'`;
/**
 * The letters a word with a digit begins with (`ref` of `ref12345`): a query word that begins
 * such letters may begin such a word, which the words index does not hold, so it is matched as
 * a prefix too (decision 023).
 */
const STEM = `substring(w FROM '^[^0-9]+')`;
/**
 * Adds the words (WORD) and stems (STEM) of the messages `source` yields (a FROM item with a
 * search_vector): common table expressions, for the top level of a statement's WITH.
 */
const addWords = (source: string) =>
  `lexemes AS (SELECT DISTINCT w FROM ${source} v, LATERAL unnest(tsvector_to_array(v.search_vector)) w),
   words AS (INSERT INTO search_words SELECT w FROM lexemes WHERE ${WORD} ON CONFLICT DO NOTHING),
   stems AS (INSERT INTO search_stems SELECT DISTINCT ${STEM} FROM lexemes WHERE w ~ '^[^0-9]+[0-9]'
             ON CONFLICT DO NOTHING)`;
const HAS_DIGIT = /[0-9]/;
/** The advisory lock of a pass (any number no other lock of ours uses: 020 is the decision). */
export const PASS_LOCK = 8_020_001;
/** The advisory lock of mergeSearchIndex (decision 021). */
export const MERGE_LOCK = 8_021_001;
/** How far behind `through` may fall while nothing new arrives, before a pass writes it anyway. */
const IDLE_WRITE = '20 seconds';
/** Words a prefix may expand to; a prefix that begins more stays a prefix (see expandPrefixes). */
export const MAX_COMPLETIONS = 100;
/** Words further behind than this leave too much to search the slow way: prefixes are matched instead. */
const MAX_LAG_SECONDS = 60;

/**
 * Adds the words of the messages created or edited since `through` to search_words, and moves
 * `through` up to the horizon: the oldest start of a client's transaction still running in
 * this database (less MARGIN), read before the messages are (autovacuum's, which can run for
 * minutes, writes no messages). A transaction that began before the horizon has committed
 * (and is read below) or rolled back, so nothing it wrote is skipped, however long it took.
 * One node at a time (the others skip). Returns how many messages were read.
 */
export async function indexSearchWords(ctx: Ctx, chunk = CHUNK): Promise<number> {
  // Timestamps stay text here: a Date would cut them to the millisecond.
  return ctx.db.transaction(async (tx) => {
    // One pass at a time over all nodes. (An advisory lock, not a row lock: a pass that finds
    // nothing to do writes nothing, so an idle server does not flush its log every second.)
    const { rows: lock } = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [PASS_LOCK]);
    if (!lock[0]!.got) return 0;
    const { rows: horizon } = await tx.query<{ at: string }>(
      `SELECT (least(statement_timestamp(), min(xact_start)) - interval '${MARGIN}')::text AS at
         FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`,
    );
    const to = horizon[0]!.at;
    // `version`: the row's xmin, which every UPDATE of it changes, even one to the same value.
    const { rows: state } = await tx.query<{ from: string; version: string; behind: boolean; stale: boolean }>(
      `SELECT through::text AS from, xmin::text AS version, through < $1::timestamptz AS behind,
              through < $1::timestamptz - interval '${IDLE_WRITE}' AS stale
         FROM search_words_state`,
      [to],
    );
    if (!state[0]?.behind) return 0;
    const { from, version, stale } = state[0];
    const { rows } = await tx.query<{ n: number; edits: number; last: string | null; stuck: boolean }>(
      `WITH fresh AS (
         SELECT created_at, search_vector FROM messages
          WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at LIMIT ${chunk}),
       edited AS (SELECT search_vector FROM messages WHERE edited_at >= $1 AND edited_at < $2),
       ${addWords('(SELECT search_vector FROM fresh UNION ALL SELECT search_vector FROM edited)')}
       SELECT count(*)::int AS n, (SELECT count(*)::int FROM edited) AS edits,
              max(created_at)::text AS last, max(created_at) = $1 AS stuck
         FROM fresh`,
      [from, to],
    );
    const { n, edits, last, stuck } = rows[0]!;
    // Nothing new: `through` moves up only now and then (a search reads the moments since by time).
    if (n === 0 && edits === 0 && !stale) return 0;
    // Only if the row is as this pass read it: a reset meanwhile (after an import) stands, even
    // one to the value the pass began from ('-infinity' again, while a pass from there was
    // reading without the import's messages), which a test of `through` alone would overwrite.
    const move = (sql: string, at: string) =>
      tx.query(`UPDATE search_words_state SET through = ${sql} WHERE xmin = $2::xid`, [at, version]);
    if (n < chunk) {
      await move('$1', to);
    } else if (!stuck) {
      // Cut at the last message read: those created at that same moment are read again next time.
      await move('$1', last!);
    } else {
      // More than a whole pass created at one moment: all of them now, then past it.
      await tx.query(`WITH ${addWords('(SELECT search_vector FROM messages WHERE created_at = $1)')} SELECT 1`, [from]);
      await move(`$1::timestamptz + interval '1 microsecond'`, from);
    }
    return n;
  });
}

/** The full-text index's two halves, one per parity of seq (migration 0013, decision 032). */
export const SEARCH_INDEXES = ['messages_search_vector_even', 'messages_search_vector_odd'];

/** Merges the pending entries of both halves of the full-text index ($1: SEARCH_INDEXES); returns the pages merged. */
export const MERGE_PENDING_SQL =
  'SELECT sum(gin_clean_pending_list(i::regclass))::int AS pages FROM unnest($1::text[]) AS i';

/**
 * Merges the full-text index's pending entries into the index (decision 021), in both halves.
 * A new message's words go to the end of the GIN index's pending list, which the insert that
 * finds it past gin_pending_list_limit (4 MB) merges there and then: a send that waited 0.4 s.
 * Merged here every pass, the list stays short and no send meets it full. One node at a time
 * (the others skip). Returns the pending pages merged.
 */
export async function mergeSearchIndex(ctx: Ctx): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const { rows: lock } = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [
      MERGE_LOCK,
    ]);
    if (!lock[0]!.got) return 0;
    const { rows } = await tx.query<{ pages: number }>(MERGE_PENDING_SQL, [SEARCH_INDEXES]);
    return rows[0]!.pages;
  });
}

/**
 * Runs indexSearchWords every `everyMs`, and again at once while it has more to read, each
 * time followed by mergeSearchIndex. The returned stop waits for a pass under way (so it never
 * meets a closed database).
 */
export function startSearchWords(ctx: Ctx, everyMs = ctx.config.SEARCH_WORDS_INTERVAL_MS) {
  if (everyMs === 0) return async () => {};
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let merging = true;
  const pass = async () => {
    let more = false;
    try {
      more = (await indexSearchWords(ctx)) === CHUNK;
    } catch (err) {
      // The database is likely away: no merge this time either (one warning, not two).
      ctx.log.warn({ err }, 'indexing search words failed');
      return false;
    }
    if (merging) {
      await mergeSearchIndex(ctx).catch((err: unknown) => {
        // Only the index's owner may merge (a database role other than the one that migrated):
        // the sends go on merging it themselves, as PostgreSQL does by default.
        if ((err as { code?: unknown }).code === '42501') merging = false;
        ctx.log.warn({ err }, 'merging the search index failed');
      });
    }
    return more;
  };
  const run = () => {
    running = pass().then((more) => {
      if (!stopped) timer = setTimeout(run, more ? 0 : everyMs).unref();
    });
  };
  timer = setTimeout(run, everyMs).unref();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

/** A lexeme as a tsquery operand, quoted. */
const operand = (word: string) => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export interface Expansion {
  /**
   * The query over whole words, one tsquery's text per query word (a message matches when it
   * matches every one): each prefix replaced by the words that begin with it, or kept as a
   * prefix when it has more than MAX_COMPLETIONS, has a digit or may begin a word with one
   * (STEM); null when a prefix begins no known word (then only messages not yet covered can
   * match). One per word, not one joined by `&`, so that each is its own key of the full-text
   * index's scan (see search()).
   */
  words: string[] | null;
  /** Messages created or edited since this moment are not covered by `words`. */
  through: Date;
}

/**
 * Expands query terms read as prefixes, in one statement that also reads `through`, so both
 * come from the same moment. Each term is parsed as messages are (to_tsvector): "example.com"
 * is one lexeme, "foo-bar" three ("foo-bar", "foo", "bar"), each a prefix a message must have.
 * Null when the words are too far behind for this to pay (the caller then matches prefixes in
 * the full-text index).
 */
export async function expandPrefixes(tx: Queryable, prefixes: string[]): Promise<Expansion | null> {
  // Lowercased by PostgreSQL's parser, as the messages were (JavaScript may differ on a few letters).
  // `stemmed`: the prefix begins the letters of a word with a digit (not in the words: STEM).
  const { rows } = await tx.query<{
    prefix: string;
    words: string[] | null;
    stemmed: boolean;
    through: Date;
    current: boolean;
  }>(
    `SELECT p.prefix, c.words, s.through, s.through > now() - interval '${MAX_LAG_SECONDS} seconds' AS current,
            EXISTS (SELECT 1 FROM search_stems WHERE stem >= p.prefix AND stem < p.prefix || chr(1114111)) AS stemmed
       FROM search_words_state s, unnest($1::text[]) AS q(typed),
            LATERAL unnest(tsvector_to_array(to_tsvector('simple', q.typed))) AS p(prefix),
            LATERAL (SELECT array_agg(word) AS words FROM (
                       SELECT word FROM search_words
                        WHERE word >= p.prefix AND word < p.prefix || chr(1114111)
                        ORDER BY word LIMIT ${MAX_COMPLETIONS + 1}) x) c`,
    [prefixes],
  );
  const through = rows[0]?.through;
  if (!through || !rows[0]!.current) return null;
  const terms: string[] = [];
  for (const { prefix, words, stemmed } of rows) {
    // A prefix that may begin a word with a digit, or begins too many words: matched as a prefix.
    if (HAS_DIGIT.test(prefix) || stemmed || (words && words.length > MAX_COMPLETIONS)) {
      terms.push(`${operand(prefix)}:*`);
    } else if (!words) return { words: null, through };
    else terms.push(`(${words.map(operand).join(' | ')})`);
  }
  return { words: terms, through };
}
