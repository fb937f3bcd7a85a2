/**
 * History pages and sync's catch-up are JSON built by PostgreSQL (MESSAGE_JSON), everything else goes through
 * presentMessage: the two must say the same thing, byte for byte once parsed and written
 * again, for every kind of message there is. Real HTTP, a real database, real uploads.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MESSAGE_FIELDS, MESSAGE_JOINS, presentMessage, type MessageRow } from '../server/messages/presenter.js';
import { createGroup, postMessage, sendText } from './helpers/factories.js';
import { png, sendAttachment, useLocalUploads } from './helpers/uploads.js';
import { WsClient } from './helpers/ws.js';

describe('a history page', () => {
  const t = useLocalUploads();

  it('is what presentMessage makes of each row, for every kind of message, in every direction', async () => {
    const { s, alice, bob, carol } = t;
    const conv = await createGroup(s.http, alice, [bob, carol], 'Every kind');
    const ok = async (res: Promise<{ status: number; body: any }>) => {
      const r = await res;
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      return r.body;
    };
    const reply = (user: typeof alice, to: string, content: string) =>
      ok(postMessage(s.http, user, conv, { content, client_id: randomUUID(), reply_to: to }));

    // Text that JSON must escape, and characters outside the Basic Multilingual Plane.
    const first = await sendText(
      s.http,
      alice,
      conv,
      'quote " backslash \\ slash / newline \n tab \t bell \u0007 nul-ish \u001f </script>',
    );
    await sendText(s.http, bob, conv, 'emoji 👍🏽 clef 𝄞 accents éàü cjk 漢字 rtl שלום zero-width \u200d');
    // A long message of multi-byte characters: a reply's preview cuts it at 200 characters.
    const long = await sendText(s.http, carol, conv, 'é'.repeat(150) + '𝄞'.repeat(100));
    await reply(alice, long.id, 'answering the long one');
    // Attachments: an image (size, dimensions, thumbnail) and a file (none of those).
    const image = await ok(t.upload(alice, await png(40, 30), 'photo "one".png', 'image/png'));
    expect(image.has_thumbnail).toBe(true);
    await ok(sendAttachment(s, alice, conv, image.id));
    const file = await ok(t.upload(bob, Buffer.from('plain bytes'), 'notes ü.txt', 'text/plain'));
    const fileMessage = await ok(sendAttachment(s, bob, conv, file.id, 'file'));
    await reply(carol, fileMessage.id, 'about your file');
    // Edited, deleted, and answered after it was deleted.
    const edited = await sendText(s.http, bob, conv, 'typo');
    await ok(s.http.request('PATCH', `/api/messages/${edited.id}`, { token: bob.token, body: { content: 'fixed' } }));
    const gone = await sendText(s.http, carol, conv, 'regrettable');
    const answer = await reply(alice, gone.id, 'answered before it went');
    await ok(s.http.request('DELETE', `/api/messages/${gone.id}`, { token: carol.token }));
    // Reactions: two emoji, two people on the first, in the order they came.
    for (const [user, emoji] of [
      [bob, '🎉'],
      [alice, '👍'],
      [carol, '🎉'],
    ] as const) {
      await ok(
        s.http.request('PUT', `/api/messages/${answer.id}/reactions/${encodeURIComponent(emoji)}`, {
          token: user.token,
        }),
      );
    }
    // The oldest message changed last: changes come in the order changed, not by seq.
    await ok(
      s.http.request('PUT', `/api/messages/${first.id}/reactions/${encodeURIComponent('👀')}`, { token: bob.token }),
    );
    // A row written by hand, as the column allows: no client id.
    await s.ctx.db.query(
      `WITH c AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO messages (conversation_id, seq, sender_id, body) SELECT $1, last_seq, $2, 'by hand' FROM c`,
      [conv, alice.id],
    );

    const { rows } = await s.ctx.db.query<MessageRow>(
      `SELECT ${MESSAGE_FIELDS} FROM messages m ${MESSAGE_JOINS} WHERE m.conversation_id = $1 ORDER BY m.seq DESC`,
      [conv],
    );
    const presented = rows.map(presentMessage);
    expect(presented).toHaveLength(11);
    // Every feature above made it into the rows compared.
    expect(presented.filter((m) => m.attachment?.has_thumbnail)).toHaveLength(1);
    expect(presented.filter((m) => m.reply_to?.deleted)).toHaveLength(1);
    expect(presented.filter((m) => m.reply_to?.filename === 'notes ü.txt')).toHaveLength(1);
    expect(presented.find((m) => m.reply_to?.id === long.id)!.reply_to!.content).toHaveLength(150 + 50 * 2);
    expect(presented.find((m) => m.id === answer.id)!.reactions).toEqual([
      { emoji: '🎉', count: 2, user_ids: [bob.id, carol.id] },
      { emoji: '👍', count: 1, user_ids: [alice.id] },
    ]);
    expect(presented.filter((m) => m.edited_at && m.deleted_at === null)).toHaveLength(1);
    expect(presented.filter((m) => m.deleted_at)).toHaveLength(1);
    expect(presented.filter((m) => m.client_id === null)).toHaveLength(1);

    const page = async (query: string) => {
      const res = await s.http.get(`/api/conversations/${conv}/messages?${query}`, bob.token);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      // Byte for byte what JSON.stringify writes (no spaces around colons or after commas).
      expect(res.text).toBe(JSON.stringify(res.body));
      // Written again from the parsed page: the same keys in the same order, the same values.
      return (res.body.messages as unknown[]).map((m) => JSON.stringify(m));
    };
    const expected = presented.map((m) => JSON.stringify(m));
    expect(await page('limit=50')).toEqual(expected);
    expect(await page('limit=5&offset=3')).toEqual(expected.slice(3, 8));
    expect(await page(`before_seq=${presented[2]!.seq}&limit=4`)).toEqual(expected.slice(3, 7));
    expect(await page(`after_seq=${presented[9]!.seq}&limit=3`)).toEqual(expected.slice(6, 9).reverse());
    expect(await page(`after_seq=${presented[0]!.seq}&limit=3`)).toEqual([]);

    // Sync's catch-up is built the same way: its messages (after a seq, oldest first) and its
    // changes (messages up to that seq changed since a change number, in the order changed).
    const ws = await WsClient.connect(s.base, bob.token);
    const raw: string[] = [];
    ws.ws.on('message', (data) => raw.push(data.toString()));
    try {
      const sync = async (afterSeq: number, afterChange?: number) => {
        const res = await ws.request('sync', {
          conversations: [{ conversation_id: conv, after_seq: afterSeq, after_change_seq: afterChange }],
        });
        expect(res.type, JSON.stringify(res.payload)).toBe('sync_result');
        // The frame as sent: byte for byte what JSON.stringify writes of it.
        expect(raw.find((text) => text.includes(`"id":"${res.id}"`))).toBe(JSON.stringify(res));
        const [entry] = res.payload.conversations;
        return {
          ...entry,
          messages: entry.messages.map((m: unknown) => JSON.stringify(m)),
          changes: entry.changes.map((m: unknown) => JSON.stringify(m)),
        };
      };
      const oldestFirst = [...expected].reverse();
      const lastChange = Math.max(...presented.map((m) => m.change_seq));
      expect(await sync(0)).toEqual({
        conversation_id: conv,
        messages: oldestFirst,
        has_more: false,
        changes: [],
        last_change_seq: lastChange,
        changes_has_more: false,
      });
      const known = presented[1]!.seq;
      const changed = (after: number) =>
        [...presented]
          .filter((m) => m.seq <= known && m.change_seq > after)
          .sort((a, b) => a.change_seq - b.change_seq)
          .map((m) => JSON.stringify(m));
      expect(changed(0).length).toBeGreaterThanOrEqual(3);
      expect(await sync(known, 0)).toMatchObject({
        messages: oldestFirst.slice(-1),
        changes: changed(0),
        changes_has_more: false,
      });
      expect((await sync(known, 2)).changes).toEqual(changed(2));
      expect(await sync(known, lastChange)).toMatchObject({ messages: oldestFirst.slice(-1), changes: [] });
    } finally {
      ws.close();
    }
  });
});
