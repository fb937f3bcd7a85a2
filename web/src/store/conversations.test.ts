import { beforeEach, describe, expect, it, vi } from 'vitest';
import './memory-storage.test-helper';
import type { Conversation } from '../../../protocol/conversations.js';

// The REST client is replaced by a fake, with an ApiError of the same shape (the store tells
// a 404 from other failures by it).
const get = vi.hoisted(() => vi.fn());
vi.mock('../api/rest', () => ({
  ApiError: class ApiError extends Error {
    constructor(
      readonly status: number,
      readonly code: string,
      message: string,
    ) {
      super(message);
    }
  },
  api: { get, user: null },
}));

const { ApiError } = await import('../api/rest');
const { conversations, inHeldOrder, refreshConversation, sortedConversations, upsertConversation } =
  await import('./conversations');

const conversation = (id: string, title: string): Conversation => ({
  id,
  type: 'group',
  title,
  members: [],
  last_message: null,
  last_seq: 3,
  last_change_seq: 0,
  unread_count: 0,
  created_at: '2026-12-03T10:00:00Z',
  last_activity_at: '2026-12-03T10:00:00Z',
});

describe('refreshing one conversation of the list', () => {
  beforeEach(() => {
    get.mockReset();
    conversations.set(() => ({ byId: {}, loaded: true }));
    upsertConversation(conversation('c1', 'Launch crew'));
  });

  it('takes the fresh copy', async () => {
    get.mockResolvedValueOnce(conversation('c1', 'Launch crew, renamed'));
    await refreshConversation('c1');
    expect(conversations.get().byId.c1?.title).toBe('Launch crew, renamed');
  });

  it('drops it when the server says it is not ours any more (404: removed, or left)', async () => {
    get.mockRejectedValueOnce(new ApiError(404, 'not_found', 'Conversation not found'));
    await refreshConversation('c1');
    expect(conversations.get().byId.c1).toBeUndefined();
  });

  it.each([
    ['the network failed', new TypeError('Failed to fetch')],
    ['the database was unavailable', new ApiError(503, 'unavailable', 'Try again')],
    ['the server failed', new ApiError(500, 'internal', 'Something went wrong')],
  ])('keeps it when %s, and tries again a second later', async (_, err) => {
    vi.useFakeTimers();
    try {
      get.mockRejectedValueOnce(err).mockResolvedValueOnce(conversation('c1', 'Launch crew, renamed'));
      await refreshConversation('c1');
      expect(conversations.get().byId.c1?.title).toBe('Launch crew');
      await vi.advanceTimersByTimeAsync(999);
      expect(get).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(get).toHaveBeenCalledTimes(2);
      expect(conversations.get().byId.c1?.title).toBe('Launch crew, renamed');
    } finally {
      vi.useRealTimers();
    }
  });

  it('tries three more times, 1, 2 and 4 s apart, then waits for the next event or reconnect', async () => {
    vi.useFakeTimers();
    try {
      get.mockRejectedValue(new ApiError(503, 'unavailable', 'Try again'));
      await refreshConversation('c1');
      for (const [wait, calls] of [
        [1000, 2],
        [1999, 2],
        [1, 3],
        [4000, 4],
        [60_000, 4],
      ] as const) {
        await vi.advanceTimersByTimeAsync(wait);
        expect(get).toHaveBeenCalledTimes(calls);
      }
      expect(conversations.get().byId.c1?.title).toBe('Launch crew');
      // A later event starts afresh.
      get.mockResolvedValueOnce(conversation('c1', 'Launch crew, at last'));
      await refreshConversation('c1');
      expect(conversations.get().byId.c1?.title).toBe('Launch crew, at last');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(get).toHaveBeenCalledTimes(5);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the list held in place under the pointer', () => {
  const at = (c: Conversation, minute: number) => ({
    ...c,
    last_activity_at: `2026-12-03T10:${String(minute).padStart(2, '0')}:00Z`,
  });
  const ids = (list: Conversation[]) => list.map((c) => c.id);

  it('keeps the held order when a lower chat gets a message, and puts new chats on top', () => {
    const [a, b, c] = [at(conversation('a', 'A'), 3), at(conversation('b', 'B'), 2), at(conversation('c', 'C'), 1)];
    const held = ids(sortedConversations({ a, b, c }));
    expect(held).toEqual(['a', 'b', 'c']);
    const later = { a, b, c: at(c, 9), d: at(conversation('d', 'D'), 5), e: at(conversation('e', 'E'), 4) };
    expect(ids(sortedConversations(later))).toEqual(['c', 'd', 'e', 'a', 'b']);
    const shown = inHeldOrder(sortedConversations(later), held);
    expect(ids(shown)).toEqual(['d', 'e', 'a', 'b', 'c']);
    // The content is the fresh one.
    expect(shown.at(-1)!.last_activity_at).toBe(later.c.last_activity_at);
  });

  it('drops chats that went away', () => {
    const [a, b] = [at(conversation('a', 'A'), 3), at(conversation('b', 'B'), 2)];
    expect(ids(inHeldOrder(sortedConversations({ b }), ['a', 'b']))).toEqual(['b']);
    expect(ids(inHeldOrder(sortedConversations({ a, b }), []))).toEqual(['a', 'b']);
  });
});
