import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers, type TestUser } from './helpers/factories.js';
import { indexSearchWords } from '../server/search/words.js';
import type { Queryable } from '../server/db/client.js';

// The background pass that keeps the words index (decision 020): how it reads, and that a
// reset made while it reads stands. Each test on a server of its own, whose passes are the
// test's. (Prefix search over the index: search-words.test.ts.)

/**
 * Runs `fn` on a server of its own with no passes of its own (every pass is the test's), with
 * a user and a group of theirs titled `title`.
 */
async function withQuietServer(
  title: string,
  fn: (quiet: TestServer, u: TestUser, conversation: string) => Promise<void>,
) {
  const quiet = await startServer({ SEARCH_WORDS_INTERVAL_MS: '0' });
  try {
    const [u] = await createUsers(quiet.http, 1);
    await fn(quiet, u!, await createGroup(quiet.http, u!, [], title));
  } finally {
    await quiet.close();
  }
}

describe('the background pass', () => {
  it('reads in chunks, and past more messages created at one moment than a chunk holds', async () => {
    await withQuietServer('Chunks', async (quiet, u, conversation) => {
      // 12 messages created at one moment (as a batch's are), then 7 a second apart, each with a
      // word of its own (tieworda, …, laterwords: letters only, as the words index keeps).
      await quiet.ctx.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT $1, g, $2, 'c' || g, CASE WHEN g <= 12 THEN 'tieword' ELSE 'laterword' END || chr(96 + g),
                date_trunc('second', now()) - interval '1 minute' + make_interval(secs => greatest(g - 12, 0))
           FROM generate_series(1, 19) AS g`,
        [conversation, u.id],
      );
      await quiet.ctx.db.query(`UPDATE search_words_state SET through = '-infinity'`);
      const passes: number[] = [];
      for (let i = 0; i < 20; i++) {
        const n = await indexSearchWords(quiet.ctx, 5);
        if (n === 0) break;
        passes.push(n);
      }
      // From the start to the moment (5 of 12), the rest of that moment at once, then on.
      expect(passes).toEqual([5, 5, 5, 3]);
      const { rows } = await quiet.ctx.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM search_words WHERE word LIKE 'tieword%' OR word LIKE 'laterword%'`,
      );
      expect(rows[0]!.n).toBe(19);
      const res = await quiet.http.get('/api/search?q=tiewor&limit=50', u.token);
      expect(res.body.messages).toHaveLength(12);
      // Nothing new: a pass writes nothing, until `through` is 20 s behind.
      const at = async () =>
        (await quiet.ctx.db.query<{ t: string }>('SELECT through::text AS t FROM search_words_state')).rows[0]!.t;
      const before = await at();
      expect(await indexSearchWords(quiet.ctx, 5)).toBe(0);
      expect(await at()).toBe(before);
      await quiet.ctx.db.query(`UPDATE search_words_state SET through = now() - interval '30 seconds'`);
      const stale = await at();
      await indexSearchWords(quiet.ctx, 5);
      expect(await at()).not.toBe(stale);
    });
  });

  it('lets a reset made while a pass reads stand, even a reset to where that pass began', async () => {
    await withQuietServer('Imports', async (quiet, u, conversation) => {
      await quiet.ctx.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         VALUES ($1, 1, $2, 'earlier', 'an earlier numbat', now() - interval '1 minute')`,
        [conversation, u.id],
      );
      await quiet.ctx.db.query(`UPDATE search_words_state SET through = '-infinity'`);
      // An import lands, and the words are reset again, on another connection, after the pass
      // has read the messages (without the import's) and before it moves `through`.
      const other = new pg.Client({ connectionString: quiet.config.DATABASE_URL });
      await other.connect();
      const importMeanwhile = async () => {
        await other.query(
          `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
           VALUES ($1, 2, $2, 'imported', 'an imported wallaby', now() - interval '1 hour')`,
          [conversation, u.id],
        );
        await other.query(`UPDATE search_words_state SET through = '-infinity'`);
      };
      // The pass's transaction, with the import run once its statement reading messages returns.
      let interleaved = false;
      const importAfterReading = (tx: Queryable): Queryable =>
        Object.assign(Object.create(tx) as Queryable, {
          query: async (sql: string, params?: unknown[]) => {
            const result = await tx.query(sql, params);
            if (sql.includes('WITH fresh') && !interleaved) {
              interleaved = true;
              await importMeanwhile();
            }
            return result;
          },
        });
      const db = quiet.ctx.db;
      const ctx = {
        ...quiet.ctx,
        db: Object.assign(Object.create(db) as typeof db, {
          transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(importAfterReading(tx))),
        }),
      };
      try {
        expect(await indexSearchWords(ctx)).toBe(1);
      } finally {
        await other.end();
      }
      expect(interleaved).toBe(true);
      // The reset stands: the next pass reads from the start again, the import included.
      expect(
        (await quiet.ctx.db.query("SELECT 1 FROM search_words_state WHERE through = '-infinity'")).rows,
      ).toHaveLength(1);
      while ((await indexSearchWords(quiet.ctx)) > 0);
      const { rows } = await quiet.ctx.db.query(`SELECT 1 FROM search_words WHERE word = 'wallaby'`);
      expect(rows).toHaveLength(1);
      const res = await quiet.http.get('/api/search?q=wallab', u.token);
      expect(res.body.messages.map((m: any) => m.message.content)).toEqual(['an imported wallaby']);
    });
  });
});
