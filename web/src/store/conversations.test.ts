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
const { conversations, refreshConversation, upsertConversation } = await import('./conversations');

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
  ])('keeps it when %s', async (_, err) => {
    get.mockRejectedValueOnce(err);
    await refreshConversation('c1');
    expect(conversations.get().byId.c1?.title).toBe('Launch crew');
  });
});
