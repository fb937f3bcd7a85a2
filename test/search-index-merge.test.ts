import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers, type TestUser } from './helpers/factories.js';
import { MERGE_LOCK, SEARCH_INDEXES, mergeSearchIndex, startSearchWords } from '../server/search/words.js';

// The full-text index's pending list is merged in the background (decision 021), so that no
// send meets it full and merges it while its batch waits.
let s: TestServer;
let alice: TestUser;
let room: string;
beforeAll(async () => {
  // The server's own passes off: the test runs them.
  s = await startServer({ SEARCH_WORDS_INTERVAL_MS: '0' });
  await s.ctx.db.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
  [alice] = await createUsers(s.http, 1);
  room = await createGroup(s.http, alice!, [], 'Merge');
});
afterAll(() => s?.close());

/** The pending lists of both halves of the index (decision 032), added up. */
const pending = async () =>
  (
    await s.ctx.db.query<{ pages: number; tuples: number }>(
      `SELECT sum(pending_pages)::int AS pages, sum(pending_tuples)::int AS tuples
         FROM unnest($1::text[]) AS i, LATERAL pgstatginindex(i::regclass)`,
      [SEARCH_INDEXES],
    )
  ).rows[0]!;

/** Messages straight into the table, each with words no other has. */
async function insert(n: number, tag: string) {
  await s.ctx.db.query(
    `WITH c AS (UPDATE conversations SET last_seq = last_seq + $3 WHERE id = $1 RETURNING last_seq - $3 AS base)
     INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body)
     SELECT $1, c.base + g, $2, $4 || g, 'text', $4 || g || ' merged alpha' || g FROM c, generate_series(1, $3) g`,
    [room, alice!.id, n, tag],
  );
}

const search = async (q: string) => {
  const res = await s.http.get(`/api/search?q=${encodeURIComponent(q)}`, alice!.token);
  expect(res.status).toBe(200);
  return (res.body.messages as { message: { content: string } }[]).map((m) => m.message.content);
};

it('merges the pending entries into the index, one node at a time, and searches still find them', async () => {
  await insert(2000, 'first');
  const before = await pending();
  expect(before.tuples).toBeGreaterThan(0);

  // Another node merging (it holds the lock): this one skips.
  const other = new pg.Client({ connectionString: s.config.DATABASE_URL });
  await other.connect();
  try {
    await other.query('SELECT pg_advisory_lock($1)', [MERGE_LOCK]);
    expect(await mergeSearchIndex(s.ctx)).toBe(0);
    expect(await pending()).toEqual(before);
  } finally {
    await other.end();
  }

  expect(await mergeSearchIndex(s.ctx)).toBeGreaterThan(0);
  expect(await pending()).toEqual({ pages: 0, tuples: 0 });
  expect(await search('first1999')).toEqual(['first1999 merged alpha1999']);
  expect(await search('alpha1234')).toEqual(['first1234 merged alpha1234']);
});

it('the background passes keep merging what new messages add', async () => {
  const stop = startSearchWords(s.ctx, 50);
  try {
    await insert(500, 'second');
    expect((await pending()).tuples).toBeGreaterThan(0);
    for (let i = 0; i < 100 && (await pending()).tuples > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await pending()).toEqual({ pages: 0, tuples: 0 });
    expect(await search('second500')).toEqual(['second500 merged alpha500']);
  } finally {
    await stop();
  }
});
