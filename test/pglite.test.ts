import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from './helpers/server.js';
import { randomUUID } from 'node:crypto';
import { createDirect, createUser, postMessage, sendText } from './helpers/factories.js';
import { expandPrefixes, indexSearchWords, mergeSearchIndex } from '../server/search/words.js';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from '../server/messages/presenter.js';

// PGlite takes several seconds to initialise a data directory: one test, two server lifetimes.
const dataDir = mkdtempSync(join(tmpdir(), 'chatify-pglite-'));
const servers: TestServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded PGlite (DATA_DIR, no DATABASE_URL)', () => {
  it('serves accounts, chats and history, and keeps them across a restart', { timeout: 120_000 }, async () => {
    const first = await startServer({ DATA_DIR: dataDir });
    servers.push(first);
    expect(first.ctx.db.kind).toBe('pglite');

    const [alice, bob] = [await createUser(first.http), await createUser(first.http)];
    const conv = await createDirect(first.http, alice, bob);
    const sent = await sendText(first.http, alice, conv, 'stored in PGlite');
    const history = await first.http.get(`/api/conversations/${conv}/messages`, bob.token);
    expect(history.status).toBe(200);
    expect(history.body.messages).toEqual([
      expect.objectContaining({ id: sent.id, seq: 1, sender_id: alice.id, content: 'stored in PGlite' }),
    ]);
    await first.close();
    servers.pop();

    const second = await startServer({ DATA_DIR: dataDir });
    servers.push(second);
    expect(second.ctx.db.kind).toBe('pglite');
    const login = await second.http.post('/api/auth/login', { email: bob.email, password: bob.password });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(bob.id);

    const list = await second.http.get('/api/conversations', login.body.token);
    expect(list.status).toBe(200);
    expect(list.body.conversations).toEqual([
      expect.objectContaining({
        id: conv,
        last_seq: 1,
        unread_count: 1,
        last_message: expect.objectContaining({ id: sent.id }),
      }),
    ]);
    const after = await second.http.get(`/api/conversations/${conv}/messages`, login.body.token);
    expect(after.status).toBe(200);
    expect(after.body.messages).toEqual(history.body.messages);

    // The restarted server keeps working on the same data: the next message continues the sequence.
    const next = await sendText(second.http, { ...bob, token: login.body.token }, conv, 'after restart');
    expect(next.seq).toBe(2);

    // Prefix search through the words index (decision 020) works here too.
    await new Promise((r) => setTimeout(r, 2_100));
    await indexSearchWords(second.ctx);
    const expansion = await second.ctx.db.transaction((tx) => expandPrefixes(tx, ['pgl', 'resta']));
    expect(expansion?.words).toEqual(["('pglite')", "('restart')"]);
    // Merging the full-text index's pending entries works here too (decision 021); the
    // server's own pass may have merged them already, so this one may find none.
    expect(await mergeSearchIndex(second.ctx)).toBeGreaterThanOrEqual(0);
    const found = await second.http.get('/api/search?q=pgl', login.body.token);
    expect(found.body.messages.map((m: { message: { content: string } }) => m.message.content)).toEqual([
      'stored in PGlite',
    ]);

    // History pages are JSON that the database builds (MESSAGE_JSON): PGlite's is what
    // presentMessage makes of the same rows too (test/history-json.test.ts covers every kind).
    const token = login.body.token as string;
    const answer = await postMessage(second.http, { token }, conv, {
      content: 'a reply with "quotes" and 👍🏽',
      client_id: randomUUID(),
      reply_to: sent.id,
    });
    expect(answer.status).toBe(201);
    const put = `/api/messages/${sent.id}/reactions/${encodeURIComponent('🎉')}`;
    expect((await second.http.request('PUT', put, { token })).status).toBe(200);
    const patch = { token, body: { content: 'after the restart' } };
    expect((await second.http.request('PATCH', `/api/messages/${next.id}`, patch)).status).toBe(200);
    const { rows } = await second.ctx.db.query<MessageRow>(
      `SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS} WHERE m.conversation_id = $1 ORDER BY m.seq DESC`,
      [conv],
    );
    const page = await second.http.get(`/api/conversations/${conv}/messages`, token);
    expect(page.text).toBe(JSON.stringify(page.body));
    expect(page.body.messages.map((m: unknown) => JSON.stringify(m))).toEqual(
      rows.map((r) => JSON.stringify(presentMessage(r))),
    );
    expect(page.body.messages[0]).toMatchObject({ reply_to: { id: sent.id } });
    expect(page.body.messages[1]).toMatchObject({ content: 'after the restart', edited_at: expect.any(String) });
    expect(page.body.messages[2]).toMatchObject({ reactions: [{ emoji: '🎉', count: 1, user_ids: [bob.id] }] });
  });
});
