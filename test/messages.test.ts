import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './helpers/server.js';
import {
  createDirect,
  createGroup,
  createUser,
  listEntry,
  postMessage,
  sendText,
  type TestUser,
} from './helpers/factories.js';

let s: TestServer;
let a: TestUser;
let b: TestUser;
beforeAll(async () => {
  s = await startServer();
  [a, b] = await Promise.all([createUser(s.http), createUser(s.http)]);
});
afterAll(() => s?.close());

const text = (content: string, client_id: string = randomUUID()) => ({ content, message_type: 'text', client_id });

async function rows(conversationId: string) {
  const res = await s.ctx.db.query<{ id: string; seq: number; body: string; client_id: string }>(
    'SELECT id, seq, body, client_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
    [conversationId],
  );
  return res.rows;
}

/** A fresh conversation between a and b (a group, so each test starts from seq 0). */
const freshConversation = () => createGroup(s.http, a, [b], 'Messages');

describe('POST /api/conversations/:id/messages', () => {
  it('stores the message and returns it (201)', async () => {
    const conv = await freshConversation();
    const clientId = randomUUID();
    const res = await postMessage(s.http, a, conv, text('Hello, B', clientId));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      conversation_id: conv,
      seq: 1,
      sender_id: a.id,
      content: 'Hello, B',
      message_type: 'text',
      client_id: clientId,
      created_at: expect.any(String),
      edited_at: null,
      deleted_at: null,
      reply_to: null,
      reactions: [],
      attachment: null,
      change_seq: 0,
    });
    expect(Number.isNaN(Date.parse(res.body.created_at))).toBe(false);
    expect(await rows(conv)).toEqual([{ id: res.body.id, seq: 1, body: 'Hello, B', client_id: clientId }]);
  });

  it('is idempotent per sender and client_id: a retry gets 200 and the same message, stored once', async () => {
    const conv = await freshConversation();
    const body = text('only once');
    const first = await postMessage(s.http, a, conv, body);
    expect(first.status).toBe(201);
    const retry = await postMessage(s.http, a, conv, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    // A retry with other content still names the same message.
    const changed = await postMessage(s.http, a, conv, { ...body, content: 'changed' });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual(first.body);
    expect(await rows(conv)).toHaveLength(1);
    // The retry did not use up a seq.
    expect((await sendText(s.http, a, conv, 'next')).seq).toBe(2);
  });

  it('scopes client_id to the sender: another sender with the same client_id sends a new message', async () => {
    const conv = await freshConversation();
    const clientId = randomUUID();
    const fromA = await postMessage(s.http, a, conv, text('from a', clientId));
    const fromB = await postMessage(s.http, b, conv, text('from b', clientId));
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromB.body.id).not.toBe(fromA.body.id);
    expect(fromB.body).toMatchObject({ seq: 2, sender_id: b.id, content: 'from b' });
  });

  it('refuses a client_id the sender already used in another conversation (409), storing nothing', async () => {
    const [one, two] = [await freshConversation(), await freshConversation()];
    const clientId = randomUUID();
    expect((await postMessage(s.http, a, one, text('first', clientId))).status).toBe(201);
    const res = await postMessage(s.http, a, two, text('second', clientId));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(await rows(two)).toHaveLength(0);
    expect((await s.http.get(`/api/conversations/${two}`, a.token)).body.last_seq).toBe(0);
  });

  it('accepts content of exactly 4000 characters', async () => {
    const conv = await freshConversation();
    const content = 'x'.repeat(3999) + 'y';
    const res = await postMessage(s.http, a, conv, text(content));
    expect(res.status).toBe(201);
    expect(res.body.content).toBe(content);
    expect((await rows(conv))[0]!.body).toBe(content);
  });

  it('keeps the content as sent, surrounding whitespace and all', async () => {
    const conv = await freshConversation();
    const content = '  two\nlines \u{1F600} ';
    const res = await postMessage(s.http, a, conv, text(content));
    expect(res.status).toBe(201);
    const history = await s.http.get(`/api/conversations/${conv}/messages`, b.token);
    expect(history.body.messages[0].content).toBe(content);
  });

  it.each([
    ['4001 characters of content', { ...text('z'.repeat(4001)) }, 'content'],
    ['empty content', { ...text('') }, 'content'],
    ['whitespace-only content', { ...text(' \n\t  ') }, 'content'],
    ['invisible content (zero-width space, joiner, BOM)', { ...text('\u200b \u200d\ufeff') }, 'content'],
    ['content with a lone surrogate', { ...text('hi \ud83d there') }, 'content'],
    [
      'a caption with a lone surrogate',
      { ...text('\udc00'), message_type: 'file', attachment_id: randomUUID() },
      'content',
    ],
    ['missing content', { message_type: 'text', client_id: 'c1' }, 'content'],
    ['a number as content', { ...text('x'), content: 42 }, 'content'],
    ['a missing client_id', { content: 'hi', message_type: 'text' }, 'client_id'],
    ['an empty client_id', { ...text('hi', '') }, 'client_id'],
    ['a 65-character client_id', { ...text('hi', 'c'.repeat(65)) }, 'client_id'],
    ['a number as client_id', { content: 'hi', message_type: 'text', client_id: 7 }, 'client_id'],
    ['an image without an attachment_id', { ...text('hi'), message_type: 'image' }, 'attachment_id'],
    ['message_type "call" (only the server writes those)', { ...text('hi'), message_type: 'call' }, 'message_type'],
    ['a text with an attachment_id', { ...text('hi'), attachment_id: randomUUID() }, 'message_type'],
    ['message_type "TEXT"', { ...text('hi'), message_type: 'TEXT' }, 'message_type'],
    ['message_type null', { ...text('hi'), message_type: null }, 'message_type'],
  ])('rejects %s with 400 naming the field, and stores nothing', async (_name, body, field) => {
    const conv = await freshConversation();
    const res = await postMessage(s.http, a, conv, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: `body.${field}` })]),
    );
    expect(await rows(conv)).toHaveLength(0);
    expect((await sendText(s.http, a, conv, 'after')).seq).toBe(1);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const conv = await freshConversation();
    const res = await s.http.request('POST', `/api/conversations/${conv}/messages`, {
      token: a.token,
      raw: '{"content": "hi", ',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('answers 401 without a token and stores nothing', async () => {
    const conv = await freshConversation();
    const res = await s.http.request('POST', `/api/conversations/${conv}/messages`, { body: text('anon') });
    expect(res.status).toBe(401);
    expect(await rows(conv)).toHaveLength(0);
  });

  it('gives 50 parallel sends the seqs 1..50, without gaps or duplicates', async () => {
    const conv = await freshConversation();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postMessage(s.http, i % 2 ? a : b, conv, text(`m${i}`))),
    );
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const seqs = results.map((r) => r.body.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = await rows(conv);
    expect(stored.map((r) => r.seq)).toEqual(seqs);
    // Each response names the row stored under its seq.
    const bySeq = new Map(stored.map((r) => [r.seq, r]));
    for (const r of results) expect(bySeq.get(r.body.seq)).toMatchObject({ id: r.body.id, body: r.body.content });
    expect((await s.http.get(`/api/conversations/${conv}`, a.token)).body.last_seq).toBe(50);
  });

  it('stores one message when the same client_id is sent 20 times in parallel', async () => {
    const conv = await freshConversation();
    const body = text('raced');
    const results = await Promise.all(Array.from({ length: 20 }, () => postMessage(s.http, a, conv, body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    const first = results[0]!.body;
    for (const r of results) expect({ id: r.body.id, seq: r.body.seq }).toEqual({ id: first.id, seq: first.seq });
    expect(await rows(conv)).toEqual([{ id: first.id, seq: 1, body: 'raced', client_id: body.client_id }]);
    expect((await s.http.get(`/api/conversations/${conv}`, a.token)).body.last_seq).toBe(1);
  });
});

describe('GET /api/conversations/:id/messages', () => {
  let conv: string;
  const page = async (query: string, who: TestUser = b) => {
    const res = await s.http.get(`/api/conversations/${conv}/messages${query}`, who.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.messages as any[]).map((m) => m.seq);
  };

  beforeAll(async () => {
    conv = await freshConversation();
    for (let i = 1; i <= 7; i++) await sendText(s.http, i % 2 ? a : b, conv, `message ${i}`);
  });

  it('pages newest first by limit and offset', async () => {
    expect(await page('')).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(await page('?limit=50&offset=0')).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(await page('?limit=3&offset=0')).toEqual([7, 6, 5]);
    expect(await page('?limit=3&offset=3')).toEqual([4, 3, 2]);
    expect(await page('?limit=3&offset=6')).toEqual([1]);
    expect(await page('?limit=3&offset=7')).toEqual([]);
  });

  it('returns full message objects', async () => {
    const res = await s.http.get(`/api/conversations/${conv}/messages?limit=1`, a.token);
    const [m] = res.body.messages;
    expect(m).toEqual({
      id: expect.any(String),
      conversation_id: conv,
      seq: 7,
      sender_id: a.id,
      content: 'message 7',
      message_type: 'text',
      client_id: expect.any(String),
      created_at: expect.any(String),
      edited_at: null,
      deleted_at: null,
      reply_to: null,
      reactions: [],
      attachment: null,
      change_seq: 0,
    });
  });

  it('pages before a seq, newest first', async () => {
    expect(await page('?before_seq=5')).toEqual([4, 3, 2, 1]);
    expect(await page('?before_seq=5&limit=2')).toEqual([4, 3]);
    expect(await page('?before_seq=1')).toEqual([]);
  });

  it('pages after a seq, oldest first', async () => {
    expect(await page('?after_seq=5')).toEqual([6, 7]);
    expect(await page('?after_seq=0&limit=3')).toEqual([1, 2, 3]);
    expect(await page('?after_seq=7')).toEqual([]);
  });

  it('accepts limit=100', async () => {
    expect(await page('?limit=100')).toHaveLength(7);
  });

  it.each([
    ['limit=101', 'limit'],
    ['limit=0', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=abc', 'limit'],
    ['offset=-1', 'offset'],
    ['before_seq=-1', 'before_seq'],
    ['after_seq=x', 'after_seq'],
  ])('rejects ?%s with 400 naming the parameter', async (query, field) => {
    const res = await s.http.get(`/api/conversations/${conv}/messages?${query}`, b.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.error.details)).toContain(field);
  });

  it('rejects before_seq together with after_seq (400)', async () => {
    const res = await s.http.get(`/api/conversations/${conv}/messages?before_seq=5&after_seq=2`, b.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('POST /api/conversations/:id/read', () => {
  it('advances the read watermark, never backwards, clamped to the last seq; unread counts follow', async () => {
    const reader = await createUser(s.http);
    const conv = await createDirect(s.http, a, reader);
    for (let i = 1; i <= 5; i++) await sendText(s.http, a, conv, `m${i}`);
    expect(await listEntry(s.http, reader, conv)).toMatchObject({ last_seq: 5, unread_count: 5 });
    expect((await listEntry(s.http, a, conv)).unread_count).toBe(0);

    const read = (seq: number) => s.http.post(`/api/conversations/${conv}/read`, { seq }, reader.token);

    const two = await read(2);
    expect(two.status).toBe(200);
    expect(two.body).toEqual({ conversation_id: conv, user_id: reader.id, delivered_seq: 2, read_seq: 2 });
    expect((await listEntry(s.http, reader, conv)).unread_count).toBe(3);

    const five = await read(5);
    expect(five.body).toMatchObject({ read_seq: 5, delivered_seq: 5 });
    expect((await listEntry(s.http, reader, conv)).unread_count).toBe(0);

    const back = await read(2);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ read_seq: 5, delivered_seq: 5 });
    expect((await listEntry(s.http, reader, conv)).unread_count).toBe(0);

    const beyond = await read(999);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ read_seq: 5, delivered_seq: 5 });

    // Clamping means the next message is unread, not already covered by the 999.
    await sendText(s.http, a, conv, 'm6');
    expect(await listEntry(s.http, reader, conv)).toMatchObject({ last_seq: 6, unread_count: 1 });

    // Other members see the reader's watermark.
    const seenByA = (await s.http.get(`/api/conversations/${conv}`, a.token)).body.members.find(
      (m: any) => m.id === reader.id,
    );
    expect(seenByA.read_seq).toBe(5);
  });

  it('never counts the sender’s own messages as unread for the sender', async () => {
    const c = await createUser(s.http);
    const conv = await createGroup(s.http, a, [b, c], 'Own');
    await sendText(s.http, b, conv, 'b1');
    await sendText(s.http, b, conv, 'b2');
    expect((await s.http.post(`/api/conversations/${conv}/read`, { seq: 2 }, a.token)).status).toBe(200);
    for (let i = 0; i < 3; i++) await sendText(s.http, a, conv, `a${i}`);
    expect((await listEntry(s.http, a, conv)).unread_count).toBe(0);
    await sendText(s.http, c, conv, 'c1');
    expect((await listEntry(s.http, a, conv)).unread_count).toBe(1);
    // b's own messages end at seq 2; the four after it (a's three, c's one) are unread for b.
    expect((await listEntry(s.http, b, conv)).unread_count).toBe(4);
  });

  it.each([
    ['a negative seq', { seq: -1 }],
    ['a string seq', { seq: 'x' }],
    ['a fractional seq', { seq: 1.5 }],
    ['a missing seq', {}],
  ])('rejects %s with 400', async (_name, body) => {
    const conv = await freshConversation();
    const res = await s.http.post(`/api/conversations/${conv}/read`, body, b.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});
