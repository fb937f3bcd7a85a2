import { abRounds, benchServer, httpGetter, percentiles, seedConversation, seedUsers } from '../lib.js';

/**
 * `messages` messages over `conversations` conversations of one reader, written by
 * PostgreSQL itself (INSERT ... SELECT generate_series: no rows cross the wire), then
 * random history pages over HTTP (newest page, a page before a random seq, a page after one),
 * then searches over all of them (a seq number, a rare code, a common word, a prefix, and
 * two pairs of common words never in one message: one pair in runs, one scattered), and the
 * next page of each search that has one (`before` its last result: `search_next_page_ms`).
 * `healthz_ms` is the machine's floor in the same run.
 *
 * With `compare` (another build's server entry) the seeded database is measured by both builds'
 * servers in turn, rounds ordered other, this, this, other (`cycles` times), each round a fresh
 * process after a left-out warm-up round of each: two builds compared on the same rows and the
 * same moments of the machine, for the price of one seeding.
 */
export async function history(o: {
  messages: number;
  conversations: number;
  requests: number;
  searches: number;
  /** Another build's server entry: measured in turn with this one on the same seeded database. */
  compare?: string;
  /** With `compare`: cycles of four rounds (other, this, this, other). */
  cycles: number;
}) {
  const srv = await benchServer();
  try {
    const [reader, other] = await seedUsers(srv.pool, 2);
    const conversationIds: string[] = [];
    for (let i = 0; i < o.conversations; i++) {
      conversationIds.push(await seedConversation(srv.pool, [reader!.id, other!.id], 'group'));
    }
    const per = Math.floor(o.messages / o.conversations);
    const t0 = performance.now();
    // In time order, a minute per seq with the conversations' messages in between, as the
    // table of a live server is written: the newest messages are the last pages. In slices of
    // seqs, so one statement never holds everything in memory. Each message also carries a
    // code (ref10000–ref99999) spread over all of them: a rare word, about one message in
    // 90,000, anywhere in time. The topic (lunch, release, ...) follows the seq, so each
    // comes in runs of a thousand messages, as a day's topic would; the colour (red, green,
    // ...) is drawn for each message, so each is scattered at random among the others.
    const sliceSeqs = Math.max(1, Math.floor(500_000 / o.conversations));
    for (let from = 1; from <= per; from += sliceSeqs) {
      await srv.pool.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT c, g, $2, c::text || ':' || g,
                'message ' || g || ' about '
                  || (ARRAY['lunch','the build','release','coffee','the meeting','holidays'])[1 + g % 6]
                  || ' ref' || (10000 + (hashint8(g::bigint * 100003 + i) & 2147483647) % 90000)
                  || ' ' || (ARRAY['amber','blue','green','grey','red','teal'])[1 + (hashint8(-(g::bigint * 100003 + i)) & 2147483647) % 6],
                now() - make_interval(mins => $4 - g) + make_interval(secs => i * 50.0 / $5)
           FROM generate_series($3::int, LEAST($3::int + $6::int - 1, $4::int)) AS g,
                LATERAL unnest($1::uuid[]) WITH ORDINALITY AS x(c, i)`,
        [conversationIds, other!.id, from, per, conversationIds.length, sliceSeqs],
      );
    }
    await srv.pool.query('UPDATE conversations SET last_seq = $2, last_message_at = now() WHERE id = ANY($1::uuid[])', [
      conversationIds,
      per,
    ]);
    // Steady state, as a table has once autovacuum has caught up: statistics, and the
    // visibility map (index-only scans). Measured straight after a bulk load instead, the
    // pages would race autovacuum's first pass over the whole table.
    await srv.pool.query('VACUUM ANALYZE');
    // And with the load's pages written out: otherwise the checkpointer (and the kernel after
    // it) spends the measured seconds writing gigabytes of them.
    await srv.pool.query('CHECKPOINT');
    const seedSeconds = (performance.now() - t0) / 1000;
    // Back-dated rows, as after any import: the words index (decision 020) reads them all again,
    // and searches match prefixes the slow way until it has caught up. Wait for it.
    const t1 = performance.now();
    await srv.pool.query(`UPDATE search_words_state SET through = '-infinity'`);
    for (;;) {
      const { rows } = await srv.pool.query<{ done: boolean }>(
        'SELECT through > (SELECT max(created_at) FROM messages) AS done FROM search_words_state',
      );
      if (rows[0]?.done) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const wordsSeconds = (performance.now() - t1) / 1000;

    const header = () => ({
      scenario: 'history',
      options: o,
      seeded_messages: per * o.conversations,
      seed_seconds: Math.round(seedSeconds),
      seed_rows_per_second: Math.round((per * o.conversations) / seedSeconds),
      words_catch_up_seconds: Math.round(wordsSeconds),
    });

    /** History pages, then searches and their next pages, against the server at `url`. */
    const measure = async (url: string): Promise<Measured> => {
      const get = httpGetter(url);
      const auth = { authorization: `Bearer ${reader!.token}` };
      const m: Measured = { pages: [], floor: [], search: [] };
      // The floor in the same run: an unauthenticated request that touches nothing (/healthz),
      // sent after each page, so both see the same moments of the machine.
      for (let i = 0; i < o.requests; i++) {
        const id = conversationIds[Math.floor(Math.random() * conversationIds.length)]!;
        const seq = 1 + Math.floor(Math.random() * per);
        const query = ['limit=50', `before_seq=${seq}&limit=50`, `after_seq=${seq}&limit=50`][i % 3];
        const started = performance.now();
        const res = await get(`/api/conversations/${id}/messages?${query}`, auth);
        m.pages.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`history page answered ${res.status}`);
        const t = performance.now();
        await get('/healthz');
        m.floor.push(performance.now() - t);
      }
      // Search over the same messages: a rare word (a seq number), a rare code, a common word, a
      // prefix, and two common words never together (1.7M messages each at 10M): in runs, scattered.
      for (let i = 0; i < o.searches; i++) {
        const code = `ref${10000 + Math.floor(Math.random() * 90000)}`;
        const q = [String(1 + Math.floor(Math.random() * per)), code, 'coffee', 'meet', 'release build', 'red green'][
          i % 6
        ]!;
        const started = performance.now();
        const res = await get(`/api/search?q=${encodeURIComponent(q)}&limit=20`, auth);
        const ms = performance.now() - started;
        const kind = /^\d+$/.test(q) ? 'a seq number' : q.startsWith('ref') ? 'a rare code' : q;
        const row: Measured['search'][number] = { kind, ms, status: res.status };
        m.search.push(row);
        // 503: stopped at SEARCH_TIMEOUT_MS (counted per query; its time is in search_ms too).
        if (res.status === 503) continue;
        if (res.status !== 200) throw new Error(`search answered ${res.status}`);
        const page = JSON.parse(res.body) as { messages: { message: { id: string } }[]; has_more: boolean };
        if (!page.has_more) continue;
        const before = page.messages.at(-1)!.message.id;
        const t = performance.now();
        const next = await get(`/api/search?q=${encodeURIComponent(q)}&limit=20&before=${before}`, auth);
        row.next = { ms: performance.now() - t, status: next.status };
        if (next.status !== 200 && next.status !== 503) throw new Error(`search's next page answered ${next.status}`);
      }
      return m;
    };

    if (!o.compare) {
      return { ...header(), ...summary([await measure(srv.url)]) };
    }
    // A/B on this very database: rounds of each build's server in turn (other, this, this,
    // other, ...), each a fresh process, after a warm-up round of each that is left out.
    // (This build: benchNode's default entry; BENCH_SERVER is refused with --compare.)
    await srv.node.kill('SIGKILL');
    const { order, rounds, of } = await abRounds(srv.db.url, o.compare, o.cycles, measure);
    return {
      ...header(),
      // This build's figures, every measured round together; the other's beside them.
      ...summary(of('this')),
      compare: { other: o.compare, order },
      other: summary(of('other')),
      rounds: rounds.map((r) => ({
        build: r.build,
        warmup: r.warmup,
        page_ms: percentiles(r.m.pages),
        healthz_ms: percentiles(r.m.floor),
        search_ms: percentiles(r.m.search.map((x) => x.ms)),
      })),
    };
  } finally {
    await srv.close();
  }
}

/** One round's raw timings (ms). */
interface Measured {
  pages: number[];
  floor: number[];
  search: { kind: string; ms: number; status: number; next?: { ms: number; status: number } }[];
}

/** Percentiles of one or more rounds together. */
function summary(rounds: Measured[]) {
  const search = rounds.flatMap((m) => m.search);
  const next = search.flatMap((s) => (s.next ? [{ kind: s.kind, ...s.next }] : []));
  const byKind = (rows: { kind: string; ms: number }[]) => {
    const groups: Record<string, number[]> = {};
    for (const r of rows) (groups[r.kind] ??= []).push(r.ms);
    return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, percentiles(v)]));
  };
  const timeouts: Record<string, number> = {};
  for (const s of search) if (s.status === 503) timeouts[s.kind] = (timeouts[s.kind] ?? 0) + 1;
  for (const s of next)
    if (s.status === 503) timeouts[`${s.kind}, next page`] = (timeouts[`${s.kind}, next page`] ?? 0) + 1;
  return {
    search_ms: percentiles(search.map((s) => s.ms)),
    search_ms_by_query: byKind(search),
    search_timeouts: timeouts,
    search_next_page_ms: percentiles(next.map((s) => s.ms)),
    search_next_page_ms_by_query: byKind(next),
    page_ms: percentiles(rounds.flatMap((m) => m.pages)),
    healthz_ms: percentiles(rounds.flatMap((m) => m.floor)),
  };
}
