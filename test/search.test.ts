import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { RECENT_WINDOW, inHalf } from '../server/search/service.js';
import { SEARCH_INDEXES } from '../server/search/words.js';
import { createDirect, createGroup, createUser, createUsers, sendText, type TestUser } from './helpers/factories.js';

let s: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let direct: string;
let group: string;
let secret: string;
beforeAll(async () => {
  s = await startServer();
  [alice, bob, carol] = await createUsers(s.http, 3);
  direct = await createDirect(s.http, alice, bob);
  group = await createGroup(s.http, alice, [bob], 'Release crew');
  const other = await createDirect(s.http, bob, carol);
  await sendText(s.http, alice, direct, 'Shall we grab lunch at noon?');
  await sendText(s.http, bob, direct, 'Lunch sounds great, the lunchroom or outside?');
  await sendText(s.http, bob, group, 'The release build is green; shipping the release tonight');
  await sendText(s.http, alice, group, 'Nothing to see here');
  await sendText(s.http, alice, direct, '会議は明日の午後三時です');
  // Only Bob and Carol are in this one.
  secret = 'classified pineapple launch codes';
  await sendText(s.http, carol, other, secret);
});
afterAll(() => s?.close());

/** Runs `fn` on a connection of its own (no statement time limit), for seeding rows in bulk. */
async function withSeed(server: TestServer, fn: (seed: pg.Client) => Promise<void>) {
  const seed = new pg.Client({ connectionString: server.ctx.config.DATABASE_URL });
  await seed.connect();
  try {
    await fn(seed);
  } finally {
    await seed.end();
  }
}

const find = (u: TestUser, query: string) => s.http.get(`/api/search?${query}`, u.token);
const texts = (res: { body: any }) => res.body.messages.map((m: any) => m.message.content);

describe('GET /api/search', () => {
  it('finds words by prefix across the caller’s conversations, newest first, with the matches marked', async () => {
    const res = await find(alice, 'q=lun');
    expect(res.status).toBe(200);
    expect(texts(res).sort()).toEqual([
      'Lunch sounds great, the lunchroom or outside?',
      'Shall we grab lunch at noon?',
    ]);
    expect(texts(res)[0]).toMatch(/lunchroom/);
    expect(res.body.messages[0].rank).toBeGreaterThan(res.body.messages[1].rank);
    const hits = res.body.messages[0].snippet.filter((p: any) => p.hit).map((p: any) => p.text.toLowerCase());
    expect(hits).toEqual(expect.arrayContaining(['lunch', 'lunchroom']));
    expect(res.body.messages[0].snippet.map((p: any) => p.text).join('')).toContain('sounds great');
    expect(res.body.messages[0].message).toMatchObject({ conversation_id: direct, seq: 2 });
  });

  it('needs every word; quotes, minus and "or" work as in a web search', async () => {
    expect(texts(await find(alice, 'q=release%20tonight'))).toHaveLength(1);
    expect(texts(await find(alice, 'q=release%20lunch'))).toHaveLength(0);
    expect(texts(await find(alice, 'q=lunch%20-noon'))).toEqual(['Lunch sounds great, the lunchroom or outside?']);
    expect(texts(await find(alice, 'q=%22grab%20lunch%22'))).toEqual(['Shall we grab lunch at noon?']);
    expect(texts(await find(alice, 'q=noon%20or%20tonight'))).toHaveLength(2);
  });

  it('is scoped: a non-member never finds another conversation’s text', async () => {
    expect(texts(await find(alice, 'q=pineapple'))).toEqual([]);
    expect(texts(await find(alice, `q=pineapple&conversation_id=${direct}`))).toEqual([]);
    expect(texts(await find(bob, 'q=pineapple'))).toEqual([secret]);
    const outsider = await createUser(s.http);
    expect(texts(await find(outsider, 'q=lunch'))).toEqual([]);
    // Asked within a conversation not theirs: the same 404 as for one that does not exist.
    const within = await find(outsider, `q=lunch&conversation_id=${direct}`);
    expect(within.status).toBe(404);
    expect(within.body.error.code).toBe('not_found');
    expect(JSON.stringify(within.body)).not.toContain('lunch');
  });

  it('snippets are the stored text itself, markup included, cut around the first hit', async () => {
    await sendText(s.http, alice, direct, '<b>bold</b> & <i>brave</i> picnic plans');
    const res = await find(alice, 'q=picnic');
    expect(res.body.messages[0].snippet).toEqual([
      { text: '<b>bold</b> & <i>brave</i> ', hit: false },
      { text: 'picnic', hit: true },
      { text: ' plans', hit: false },
    ]);
    const long = `${'filler words here '.repeat(20)}the zeppelin arrives ${'and more after '.repeat(20)}`;
    await sendText(s.http, alice, direct, long);
    const parts = (await find(alice, 'q=zeppelin')).body.messages[0].snippet;
    expect(parts[0]).toEqual({ text: '…', hit: false });
    expect(parts.at(-1)).toEqual({ text: '…', hit: false });
    expect(parts.filter((p: any) => p.hit)).toEqual([{ text: 'zeppelin', hit: true }]);
    expect(parts.map((p: any) => p.text).join('').length).toBeLessThan(200);
  });

  it('narrows to one conversation', async () => {
    expect(texts(await find(bob, `q=release&conversation_id=${group}`))).toHaveLength(1);
    expect(texts(await find(bob, `q=release&conversation_id=${direct}`))).toHaveLength(0);
  });

  it('finds text in scripts without spaces by substring', async () => {
    const res = await find(alice, `q=${encodeURIComponent('明日')}`);
    expect(texts(res)).toEqual(['会議は明日の午後三時です']);
    expect(res.body.messages[0].snippet).toContainEqual({ text: '明日', hit: true });
  });

  it('finds people by username or name too', async () => {
    const res = await find(alice, `q=${bob.username.slice(0, 6)}`);
    expect(res.body.users.map((u: any) => u.id)).toContain(bob.id);
    expect(res.body.users[0]).not.toHaveProperty('email');
  });

  it('answers odd and hostile queries cleanly', async () => {
    for (const q of ['"', '&&', '!:*', "'", '(((', '& | ! <->', '\\', '%_', ':*', '-']) {
      const res = await find(alice, `q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(res.body.messages, q).toEqual([]);
    }
    const huge = await find(alice, `q=${'a'.repeat(10_000)}`);
    expect(huge.status).toBe(400);
    expect(huge.body.error.code).toBe('validation_failed');
    expect((await find(alice, 'q=')).status).toBe(400);
    expect((await find(alice, 'q=lunch&limit=500')).status).toBe(400);
    expect((await find(alice, 'q=lunch&conversation_id=not-a-uuid')).status).toBe(404);
    expect((await s.http.get('/api/search?q=lunch')).status).toBe(401);
  });
});

it('each half of the full-text index is the one PostgreSQL picks for the searches of that half', async () => {
  // Decision 032: were the statements' half condition and the indexes' predicate to drift
  // apart, every search would still answer, by reading the whole table.
  await withSeed(s, async (seed) => {
    await seed.query('SET enable_seqscan = off');
    for (const [half, index] of SEARCH_INDEXES.entries()) {
      const { rows } = await seed.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT m.id FROM messages m
          WHERE m.search_vector @@ to_tsquery('simple', 'lunch') AND ${inHalf(half, 'm')}`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain(`Bitmap Index Scan on ${index}`);
    }
  });
});

describe('newest first, past the newest messages', () => {
  it('finds the newest matches whether they are among the newest messages or older', async () => {
    const [dana, erin] = await createUsers(s.http, 2);
    const conversation = await createDirect(s.http, dana, erin);
    // Seqs 1–30 "zephyr" (old), then RECENT_WINDOW + 100 others, then 3 more "zephyr"
    // (newest): one clock second per seq.
    const last = 30 + RECENT_WINDOW + 100 + 3;
    await withSeed(s, async (seed) => {
      await seed.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT $1, g, $2, 'seed-' || g,
                CASE WHEN g <= 30 OR g > $3 - 3 THEN 'zephyr ' ELSE 'filler ' END || g,
                now() - make_interval(secs => $3 - g)
           FROM generate_series(1, $3) AS g`,
        [conversation, erin.id, last],
      );
      await seed.query('UPDATE conversations SET last_seq = $2 WHERE id = $1', [conversation, last]);
      // Back-dated messages: as after any import, the words index reads everything again.
      await seed.query(`UPDATE search_words_state SET through = '-infinity'`);
    });
    const seqs = (res: { body: any }) => res.body.messages.map((m: any) => m.message.seq);
    const older = Array.from({ length: 17 }, (_, i) => 30 - i);
    // Three among the newest, the rest from the index: one order.
    expect(seqs(await find(dana, 'q=zephyr'))).toEqual([last, last - 1, last - 2, ...older]);
    expect(seqs(await find(dana, `q=zephyr&conversation_id=${conversation}`))).toEqual([
      last,
      last - 1,
      last - 2,
      ...older,
    ]);
    // Enough among the newest.
    expect(seqs(await find(dana, 'q=zephyr&limit=3'))).toEqual([last, last - 1, last - 2]);
    expect(seqs(await find(dana, 'q=filler&limit=2'))).toEqual([last - 3, last - 4]);
    // Only old ones, and a phrase.
    expect(seqs(await find(dana, 'q=zephyr%2012'))).toEqual([12]);
    expect(seqs(await find(dana, 'q=%22zephyr%2029%22'))).toEqual([29]);
    // Still scoped.
    expect(seqs(await find(alice, 'q=zephyr'))).toEqual([]);
  });
});

describe('paging', () => {
  it('pages through every match once, in one order, past the newest messages and within one batch’s moment', async () => {
    const [dana, erin, fay] = await createUsers(s.http, 3);
    const one = await createDirect(s.http, dana, erin);
    const two = await createDirect(s.http, dana, fay);
    // 40 "quokka" (old), RECENT_WINDOW + 50 others, 12 more "quokka" (newest), alternating
    // between the two conversations; five messages share each moment, as a batch's do.
    const last = 40 + RECENT_WINDOW + 50 + 12;
    await withSeed(s, async (seed) => {
      await seed.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, g, $3, 'page-' || g,
                CASE WHEN g <= 40 OR g > $4 - 12 THEN 'quokka ' ELSE 'wombat ' END || g,
                now() - make_interval(secs => ($4 - g) / 5)
           FROM generate_series(1, $4) AS g`,
        [one, two, dana.id, last],
      );
      await seed.query('UPDATE conversations SET last_seq = $2 WHERE id = ANY($1)', [[one, two], last]);
      await seed.query(`UPDATE search_words_state SET through = '-infinity'`);
    });
    const { rows } = await s.ctx.db.query<{ id: string }>(
      `SELECT id FROM messages WHERE conversation_id = ANY($1) AND body LIKE 'quokka %'
        ORDER BY created_at DESC, id DESC`,
      [[one, two]],
    );
    const everyMatch = rows.map((r) => r.id);
    expect(everyMatch).toHaveLength(52);

    /** Every page's message ids, each page after the previous one's last message. */
    async function pages(query: string, size: number) {
      const found: string[][] = [];
      let before = '';
      for (;;) {
        const res = await find(dana, `${query}&limit=${size}${before}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const ids = res.body.messages.map((m: any) => m.message.id as string);
        found.push(ids);
        if (!res.body.has_more) return found;
        expect(ids).toHaveLength(size);
        before = `&before=${ids.at(-1)}`;
        expect(found.length).toBeLessThan(60);
      }
    }
    // Across both conversations: by time, then id; the first page from the newest messages,
    // the later ones from the full-text index (or the words index, once its background pass
    // has caught up: search-words.test.ts covers each state).
    const all = await pages('q=quokka', 5);
    expect(all.map((p) => p.length)).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2]);
    expect(all.flat()).toEqual(everyMatch);
    // A page size the matches fill exactly (its pages' edges fall within moments): the last
    // full page says there is no more.
    expect((await pages('q=quokka', 13)).map((p) => p.length)).toEqual([13, 13, 13, 13]);
    // A web-search query (the full-text index alone), its page edges within moments too.
    expect((await pages('q=quokka%20-wombat', 7)).flat()).toEqual(everyMatch);
    // One conversation: by seq, the order its members see.
    const inOne = (await pages(`q=quokka&conversation_id=${one}`, 4)).flat();
    const { rows: seqs } = await s.ctx.db.query<{ id: string }>(
      `SELECT id FROM messages WHERE conversation_id = $1 AND body LIKE 'quokka %' ORDER BY seq DESC`,
      [one],
    );
    expect(inOne).toEqual(seqs.map((r) => r.id));
    // People are found on the first page only.
    const named = await find(dana, `q=${erin.username.slice(0, 8)}`);
    expect(named.body.users.map((u: any) => u.id)).toContain(erin.id);
    const later = await find(dana, `q=${erin.username.slice(0, 8)}&before=${everyMatch[0]}`);
    expect(later.body.users).toEqual([]);
  });

  it('takes the newest of a moment cut by the edge of the newest messages', async () => {
    const [gina, hal] = await createUsers(s.http, 2);
    const conversation = await createDirect(s.http, gina, hal);
    // Ten "kumquat" sharing one moment (an hour ahead: the newest on the server), then
    // RECENT_WINDOW - 2 newer ones: the newest RECENT_WINDOW messages end within the ten.
    // The first of them written has the highest id: the time index, walked back, meets it last.
    const last = RECENT_WINDOW + 8;
    await withSeed(s, async (seed) => {
      await seed.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT CASE WHEN g <= 10 THEN ('ffffffff-0000-4000-8000-' || lpad((100 - g)::text, 12, '0'))::uuid
                     ELSE gen_random_uuid() END,
                $1, g, $2, 'tie-' || g, CASE WHEN g <= 10 THEN 'kumquat ' ELSE 'pomelo ' END || g,
                now() + interval '1 hour' + make_interval(secs => CASE WHEN g <= 10 THEN 0 ELSE g / 1000.0 END)
           FROM generate_series(1, $3) AS g`,
        [conversation, hal.id, last],
      );
      await seed.query('UPDATE conversations SET last_seq = $2 WHERE id = $1', [conversation, last]);
    });
    const { rows } = await s.ctx.db.query<{ id: string }>(
      `SELECT id FROM messages WHERE conversation_id = $1 AND body LIKE 'kumquat %' ORDER BY id DESC`,
      [conversation],
    );
    const ids = (res: { body: any }) => res.body.messages.map((m: any) => m.message.id);
    expect(ids(await find(gina, 'q=kumquat&limit=1'))).toEqual([rows[0]!.id]);
    const all: string[] = [];
    let before = '';
    for (let i = 0; i < 10; i++) {
      const res = await find(gina, `q=kumquat&limit=3${before}`);
      all.push(...ids(res));
      if (!res.body.has_more) break;
      before = `&before=${all.at(-1)}`;
    }
    expect(all).toEqual(rows.map((r) => r.id));
  });

  it('continues only after a message the caller may search: anything else is an empty last page', async () => {
    await sendText(s.http, alice, direct, '会議の資料を送ります');
    await sendText(s.http, alice, direct, '会議室は二階です');
    // Text without spaces pages too.
    const first = await find(alice, `q=${encodeURIComponent('会議')}&limit=2`);
    expect(texts(first)).toEqual(['会議室は二階です', '会議の資料を送ります']);
    expect(first.body.has_more).toBe(true);
    const next = await find(
      alice,
      `q=${encodeURIComponent('会議')}&limit=2&before=${first.body.messages[1].message.id}`,
    );
    expect(texts(next)).toEqual(['会議は明日の午後三時です']);
    expect(next.body.has_more).toBe(false);

    // Each of these would find older messages past a cursor taken as given.
    const theirs = (await find(bob, 'q=pineapple')).body.messages[0].message.id;
    const mine = (await find(alice, 'q=noon')).body.messages[0].message.id;
    const newest = first.body.messages[0].message.id;
    for (const [who, query] of [
      [alice, `q=lunch&before=${theirs}`], // a conversation Alice is not in
      [carol, `q=pineapple&before=${newest}`],
      [alice, `q=release&conversation_id=${group}&before=${newest}`], // another conversation than asked
      [alice, 'q=lunch&before=not-a-message'],
      [alice, `q=${encodeURIComponent('会議')}&before=${theirs}`],
    ] as const) {
      const res = await find(who, query);
      expect(res.status, query).toBe(200);
      expect(res.body, query).toEqual({ messages: [], users: [], has_more: false });
    }
    // Alice's own cursor: what is older than it.
    expect(texts(await find(alice, `q=lunch&before=${mine}`))).toEqual([]);
    const lunch = (await find(alice, 'q=lunch')).body.messages.map((m: any) => m.message.id);
    expect(lunch).toHaveLength(2);
    expect((await find(alice, `q=lunch&before=${lunch[0]}`)).body.messages.map((m: any) => m.message.id)).toEqual([
      lunch[1],
    ]);
  });
});

describe('a search too broad to finish in time', () => {
  let slow: TestServer;
  beforeAll(async () => {
    // A time limit no search that has to read 10,000 messages, or intersect two words of
    // 100,000 messages each, can meet.
    slow = await startServer({ SEARCH_TIMEOUT_MS: '2' });
  });
  afterAll(() => slow?.close());

  it('is stopped by PostgreSQL and answered 503 with a clear message; nothing else notices', async () => {
    const [dana, erin] = await createUsers(slow.http, 2);
    const conversation = await createDirect(slow.http, dana, erin);
    // Seeded over a connection of its own (no statement time limit).
    await withSeed(slow, async (seed) => {
      await seed.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body)
         SELECT $1, g, $2, 'seed-' || g, (ARRAY['coffee', 'tea'])[1 + g % 2] || ' number ' || g
           FROM generate_series(1, 200000) AS g`,
        [conversation, erin.id],
      );
      await seed.query('UPDATE conversations SET last_seq = 200000 WHERE id = $1', [conversation]);
    });

    // Never in one message: the newest cannot answer it, and the index must intersect both.
    const res = await slow.http.get('/api/search?q=coffee%20tea', dana.token);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/too many messages/) });
    // Not taken for the database being down: the next requests are served at once.
    const list = await slow.http.get('/api/conversations', dana.token);
    expect(list.status).toBe(200);
    expect((await slow.http.get('/readyz')).status).toBe(200);
    // The pool lost no connection to it: a second one is answered the same way, and so is a page.
    expect((await slow.http.get('/api/search?q=coffee%20tea', dana.token)).status).toBe(503);
    const page = await slow.http.get(`/api/conversations/${conversation}/messages?limit=5`, dana.token);
    expect(page.status).toBe(200);
    expect(page.body.messages[0].seq).toBe(200000);
  });
});

describe('search at a server’s start', () => {
  it('has the two connections of the every-match step open before the first search', async () => {
    const fresh = await startServer();
    try {
      // Opened at start by a search by no one (warmSearch), and kept by the pool: a first
      // search no longer waits for a new connection (about 30 ms here) while its other half runs.
      const stats = fresh.ctx.db.poolStats!();
      expect(stats.total).toBeGreaterThanOrEqual(SEARCH_INDEXES.length);
      expect(stats.waiting).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
