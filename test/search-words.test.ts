import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createGroup, createUsers, sendText, type TestUser } from './helpers/factories.js';
import { expandPrefixes, indexSearchWords, MAX_COMPLETIONS, PASS_LOCK } from '../server/search/words.js';

// Prefix search through the words index (decision 020): whatever the index covers at the
// moment of a search, the answer is the one a prefix match over every message gives.
let s: TestServer;
let alice: TestUser;
let bob: TestUser;
let room: string;
beforeAll(async () => {
  s = await startServer();
  [alice, bob] = await createUsers(s.http, 2);
  room = await createGroup(s.http, alice, [bob], 'Words');
});
afterAll(() => s?.close());

const find = async (u: TestUser, q: string) => {
  const res = await s.http.get(`/api/search?q=${encodeURIComponent(q)}&limit=50`, u.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.messages as { message: { content: string } }[]).map((m) => m.message.content);
};

/**
 * Every match, a page of `size` at a time (each page after the last one's message): one list,
 * never a page too long or a last page that says there is more.
 */
async function findAll(u: TestUser, q: string, size: number) {
  const all: string[] = [];
  let before = '';
  for (let pages = 0; pages < 100; pages++) {
    const res = await s.http.get(`/api/search?q=${encodeURIComponent(q)}&limit=${size}${before}`, u.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const found = res.body.messages as { message: { id: string; content: string } }[];
    expect(found.length, q).toBeLessThanOrEqual(size);
    all.push(...found.map((m) => m.message.content));
    if (!res.body.has_more) return all;
    expect(found.length, q).toBe(size);
    before = `&before=${found.at(-1)!.message.id}`;
  }
  throw new Error(`${q}: still more after 100 pages`);
}

/** What a prefix match over all of the user's messages finds, newest first: the reference. */
async function reference(u: TestUser, q: string, limit = 50) {
  // Terms as the server reads them: "example.com" whole, as the parser keeps it in a message.
  const terms = q.toLowerCase().match(/[\p{L}\p{N}]+(?:[.@/+-][\p{L}\p{N}]+)*/gu) ?? [];
  const query = terms.map((w) => `${w}:*`).join(' & ');
  const { rows } = await s.ctx.db.query<{ body: string }>(
    `SELECT m.body FROM messages m JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1
      WHERE m.search_vector @@ to_tsquery('simple', $2) AND m.deleted_at IS NULL
      ORDER BY m.created_at DESC, m.id DESC LIMIT ${limit}`,
    [u.id, query],
  );
  return rows.map((r) => r.body);
}

/**
 * Indexes until the words cover every message and edit so far (the server's own passes run
 * too: a pass that finds another one under way returns at once).
 */
async function indexAll() {
  const uncovered = async () =>
    (
      await s.ctx.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages, search_words_state s WHERE created_at >= s.through OR edited_at >= s.through`,
      )
    ).rows[0]!.n;
  for (let i = 0; i < 200 && (await uncovered()) > 0; i++) {
    if ((await indexSearchWords(s.ctx)) === 0) await new Promise((r) => setTimeout(r, 20));
  }
  expect(await uncovered()).toBe(0);
}
const through = async () =>
  (await s.ctx.db.query<{ through: Date }>('SELECT through FROM search_words_state')).rows[0]!.through;
/** Moves the clock past the horizon's margin, so what was sent so far can be covered. */
const pastMargin = () => new Promise((r) => setTimeout(r, 2_100));

describe('prefix search over the words index', () => {
  const syllables = ['ka', 'ri', 'bo', 'ne', 'tu', 'sa', 'lo', 'mi'];
  const word = (n: number) => syllables[n % 8]! + syllables[(n >> 3) % 8]! + syllables[(n >> 6) % 8]!;
  const queries = [
    'ka',
    'kari',
    'karibo',
    'ri bo',
    'sa lo',
    'tu',
    'mine',
    'nesa tu',
    // Three to eight words (the most a search reads): a key of the index scan each ($6–$13),
    // every one required.
    'sa bo mi',
    'satu bos mis 1',
    'sa bo mi ka',
    'satu sa bos bo mis mi 1 s',
    'k',
    'zz',
    'release',
    'rel bu',
    '1',
    '12',
    'ka 3',
    // Words with digits are not in the words index; the letters they begin with are (decision 023).
    'ref',
    're',
    'ref1',
    'ref12345',
    'refa',
    'mp',
    'mp3',
    'h',
    'h264',
    'covid',
    'b2',
    // Hosts, file names and compounds are one term each, as the parser keeps them in a message.
    'example.com',
    'example.co',
    'example',
    'arr.map',
    'foo-ba',
    'foo-bar baz',
    'me@x.org',
    'v1.2',
  ];

  it('finds what a prefix match over every message finds, before, while and after the words catch up', async () => {
    for (let i = 0; i < 60; i++) {
      const n = (i * 37) % 512;
      await sendText(s.http, i % 2 ? alice : bob, room, `${word(n)} ${word(n + 5)} ${word(n * 3)} ${i}`);
    }
    await sendText(s.http, alice, room, 'The release build is green');
    await sendText(s.http, bob, room, 'releases are out; building blocks next');
    await sendText(s.http, alice, room, 'ticket ref12345 closed after the refactor');
    await sendText(s.http, bob, room, 'play it as mp3 or h264, covid19 rules apply, b2b only');
    await sendText(s.http, alice, room, 'see https://example.com/docs and arr.map((v) => v * 2)');
    await sendText(s.http, bob, room, 'a foo-bar baz, mail me@x.org about v1.2.3');
    // Nothing covered: prefixes are matched in the full-text index. (The server's own passes
    // skip while this test holds their lock.)
    const hold = new pg.Client({ connectionString: s.config.DATABASE_URL });
    await hold.connect();
    try {
      await hold.query('SELECT pg_advisory_lock($1)', [PASS_LOCK]);
      await hold.query(`UPDATE search_words_state SET through = '-infinity'`);
      for (const q of queries) expect(await find(alice, q), q).toEqual(await reference(alice, q));
      for (const q of queries) expect(await findAll(alice, q, 7), q).toEqual(await reference(alice, q, 1000));
      expect(await through()).toEqual(-Infinity);
    } finally {
      await hold.end();
    }

    await pastMargin();
    await indexAll();
    expect(Date.now() - (await through()).getTime()).toBeLessThan(5_000);
    const { rows } = await s.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM search_words WHERE word IN ('release', 'releases', 'build', 'building')`,
    );
    expect(rows[0]!.n).toBe(4);
    // Words with a digit are left out (such query words are matched as prefixes), and the
    // letters they begin with kept as stems.
    const digits = await s.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM search_words WHERE word ~ '[0-9]'`,
    );
    expect(digits.rows[0]!.n).toBe(0);
    const stems = await s.ctx.db.query<{ stem: string }>(
      `SELECT stem FROM search_stems WHERE stem IN ('ref', 'mp', 'h', 'covid', 'b', 'b2b') ORDER BY stem`,
    );
    expect(stems.rows.map((r) => r.stem)).toEqual(['b', 'covid', 'h', 'mp', 'ref']);
    const expand = async (prefixes: string[]) =>
      (await s.ctx.db.transaction((tx) => expandPrefixes(tx, prefixes)))!.words;
    expect(await expand(['re'])).toEqual(["'re':*"]); // may begin ref12345
    expect(await expand(['refa'])).toEqual(["('refactor')"]);
    expect(await expand(['ref12'])).toEqual(["'ref12':*"]);
    const expansion = await s.ctx.db.transaction((tx) => expandPrefixes(tx, ['rel', 'bu', 'zzz']));
    expect(expansion!.words).toBeNull(); // no word begins with zzz
    expect((await s.ctx.db.transaction((tx) => expandPrefixes(tx, ['rel', 'bu'])))!.words).toEqual([
      "('release' | 'releases')",
      "('build' | 'building')",
    ]);
    // Covered, and then some sent since (read by time). Paged too: a page past the newest
    // starts in the words, and with the few sent since.
    for (const q of queries) expect(await find(alice, q), q).toEqual(await reference(alice, q));
    for (const q of queries) expect(await findAll(alice, q, 7), q).toEqual(await reference(alice, q, 1000));
    await sendText(s.http, alice, room, 'relish the kariboka build');
    await sendText(s.http, bob, room, 'karibo again');
    for (const q of queries) expect(await find(alice, q), q).toEqual(await reference(alice, q));
    for (const q of queries) expect(await findAll(alice, q, 3), q).toEqual(await reference(alice, q, 1000));
    expect(await find(alice, 'satu bos mis 1')).toEqual(['satuka bosaka misari 1']);
    for (const q of ['example.com', 'arr.map', 'example.co arr'])
      expect(await find(alice, q), q).toEqual(['see https://example.com/docs and arr.map((v) => v * 2)']);
    for (const q of ['foo-bar', 'me@x.org', 'v1.2', 'foo-ba baz'])
      expect(await find(alice, q), q).toEqual(['a foo-bar baz, mail me@x.org about v1.2.3']);
    expect(await find(alice, 'satu sa bos bo mis mi 1 s')).toEqual(['satuka bosaka misari 1']);
    expect(await find(alice, 'rel bu')).toEqual([
      'relish the kariboka build',
      'releases are out; building blocks next',
      'The release build is green',
    ]);
  });

  it('finds an edited message by its new words, covered or not, and not by the words it lost', async () => {
    const m = await sendText(s.http, alice, room, 'a plain wombat');
    await pastMargin();
    await indexAll();
    expect(await find(bob, 'womb')).toEqual(['a plain wombat']);
    const edit = await s.http.request('PATCH', `/api/messages/${m.id}`, {
      token: alice.token,
      body: { content: 'a plain quetzal' },
    });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    expect(await find(bob, 'quetz')).toEqual(['a plain quetzal']);
    expect(await find(bob, 'womb')).toEqual([]);
    await pastMargin();
    await indexAll();
    expect(await find(bob, 'quetz')).toEqual(['a plain quetzal']);
    expect(await find(bob, 'womb')).toEqual([]);
    // Edited again, keeping a covered word: found by the words and among the edits, listed once.
    const again = await s.http.request('PATCH', `/api/messages/${m.id}`, {
      token: alice.token,
      body: { content: 'a plain quetzal again' },
    });
    expect(again.status).toBe(200);
    expect(await find(bob, 'quetz')).toEqual(['a plain quetzal again']);
    // So with several words, each its own condition: still once.
    expect(await find(bob, 'quetz plai')).toEqual(['a plain quetzal again']);
    expect(await find(bob, 'plai quetz aga')).toEqual(['a plain quetzal again']);
    // Edited to a word not in the words yet beside one that is: not matched by the words as a
    // whole (only `plain` is), so found among the edits.
    const third = await s.http.request('PATCH', `/api/messages/${m.id}`, {
      token: alice.token,
      body: { content: 'a plain quetzalcoatl' },
    });
    expect(third.status).toBe(200);
    expect(await find(bob, 'plai quetz')).toEqual(['a plain quetzalcoatl']);
  });

  it('never skips a message whose transaction was still open while the words moved on', async () => {
    // A send that began before the index pass and committed after it: its created_at is
    // older than the pass, yet the pass could not see it.
    const client = new pg.Client({ connectionString: s.config.DATABASE_URL });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body)
         VALUES ($1, 100000, $2, $3, 'a late quokka')`,
        [room, alice.id, randomUUID()],
      );
      const { rows } = await client.query<{ started: Date }>('SELECT now() AS started');
      await pastMargin();
      for (let i = 0; i < 3; i++) await indexSearchWords(s.ctx);
      // The words stop short of the open transaction's start.
      expect((await through()).getTime()).toBeLessThan(rows[0]!.started.getTime());
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await find(bob, 'quok')).toEqual(['a late quokka']);
    await pastMargin();
    await indexAll();
    expect(await find(bob, 'quok')).toEqual(['a late quokka']);
  });

  it('matches a prefix of more than MAX_COMPLETIONS words as a prefix, and words that need quoting', async () => {
    const many = Array.from({ length: MAX_COMPLETIONS + 5 }, (_, i) => `zeta${String(i).padStart(4, '0')}`);
    await sendText(s.http, alice, room, many.join(' '));
    await sendText(s.http, alice, room, String.raw`see example.com/it's and /usr/a'b/c\d`);
    await sendText(s.http, alice, room, 'Über große Äpfel');
    await pastMargin();
    await indexAll();
    for (const q of ['zeta', 'zeta00', 'zeta0104', 'example', 'usr', 'it', 'ÜBER', 'äpf', 'GROSS']) {
      expect(await find(alice, q), q).toEqual(await reference(alice, q));
    }
    expect(await find(alice, 'zeta')).toHaveLength(1);
    expect(await find(alice, 'example')).toContain(String.raw`see example.com/it's and /usr/a'b/c\d`);
    expect(await find(alice, "example.com/it's")).toEqual([String.raw`see example.com/it's and /usr/a'b/c\d`]);
    expect(await find(alice, 'ÄPF')).toEqual(['Über große Äpfel']);
  });
});

describe('migration 0008', () => {
  it('moves the words with a digit out of the words index, keeping the letters they begin with', async () => {
    const sql = readFileSync(new URL('../server/db/migrations/0008_search_stems.sql', import.meta.url), 'utf8');
    // Checked inside the transaction, which the test then rolls back.
    const rollback = new Error('rollback');
    const run = s.ctx.db.transaction(async (tx) => {
      // As before the migration: no stems, and words with digits among the words.
      await tx.exec('DROP TABLE search_stems');
      await tx.query(`INSERT INTO search_words VALUES ('zqx12'), ('zqxy'), ('zqv2b'), ('7zq') ON CONFLICT DO NOTHING`);
      await tx.exec(sql);
      const words = await tx.query<{ word: string }>(`SELECT word FROM search_words WHERE word LIKE '%zq%' ORDER BY 1`);
      const stems = await tx.query<{ stem: string }>(`SELECT stem FROM search_stems WHERE stem LIKE 'zq%' ORDER BY 1`);
      expect(words.rows.map((r) => r.word)).toEqual(['zqxy']);
      expect(stems.rows.map((r) => r.stem)).toEqual(['zqv', 'zqx']);
      throw rollback;
    });
    await expect(run).rejects.toBe(rollback);
  });
});
