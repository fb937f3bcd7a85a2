import { beforeEach, describe, expect, it, vi } from 'vitest';
import './memory-storage.test-helper';
import { messageOf } from './message.test-helper';
import type { Message } from '../../../protocol/messages.js';

// The REST client is replaced by a fake.
const get = vi.hoisted(() => vi.fn());
vi.mock('../api/rest', () => ({ api: { get, user: null } }));

const { receiveUpdate } = await import('./changes');
const { cursorOf, resetCursors, seedCursor } = await import('./cursors');
const { messages } = await import('./messages');

const C = 'c1';
const msg = (seq: number, patch: Partial<Message> = {}) => messageOf(C, seq, patch);
const held = () => messages.get().threads[C]!.items;
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  get.mockReset();
  resetCursors();
  const items = [
    msg(1),
    msg(2),
    msg(3, {
      reply_to: { id: 'm1', seq: 1, sender_id: 'u1', content: 'text 1', message_type: 'text', deleted: false },
    }),
  ];
  messages.set((s) => ({ ...s, threads: { [C]: { items, loaded: true, hasOlder: false } } }));
  seedCursor(C, 4);
});

describe('message_updated', () => {
  it('applies the next change in line and moves the cursor, without asking the server', () => {
    receiveUpdate(msg(2, { content: 'edited', edited_at: '2026-11-23T10:01:00Z', change_seq: 5 }));
    expect(held()[1]!.content).toBe('edited');
    expect(cursorOf(C)).toBe(5);
    expect(get).not.toHaveBeenCalled();
  });

  it('never lets an older state replace a newer one', () => {
    receiveUpdate(msg(2, { content: 'newer', change_seq: 5 }));
    receiveUpdate(msg(2, { content: 'older', change_seq: 3 }));
    expect(held()[1]!.content).toBe('newer');
  });

  it('refreshes the quote of a reply when the original is deleted', () => {
    receiveUpdate(msg(1, { content: '', deleted_at: '2026-11-23T10:02:00Z', change_seq: 5 }));
    expect(held()[2]!.reply_to).toMatchObject({ id: 'm1', deleted: true, content: '' });
  });

  it('fetches the missing changes after a gap, page by page, and ends at the newest', async () => {
    get
      .mockResolvedValueOnce({
        changes: [msg(1, { content: 'five', change_seq: 5 })],
        last_change_seq: 8,
        has_more: true,
      })
      .mockResolvedValueOnce({
        changes: [msg(3, { content: 'seven', change_seq: 7 })],
        last_change_seq: 8,
        has_more: false,
      });
    receiveUpdate(msg(2, { content: 'eight', change_seq: 8 }));
    await settle();
    await settle();
    expect(get.mock.calls.map((c) => c[0])).toEqual([
      `/api/conversations/${C}/changes?after_change_seq=4&limit=100`,
      `/api/conversations/${C}/changes?after_change_seq=5&limit=100`,
    ]);
    expect(held().map((m) => m.content)).toEqual(['five', 'eight', 'seven']);
    expect(cursorOf(C)).toBe(8);
  });
});
