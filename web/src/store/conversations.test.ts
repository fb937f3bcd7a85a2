import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import './memory-storage.test-helper';
import type { Conversation, Member } from '../../../protocol/conversations.js';
import type { Message } from '../../../protocol/messages.js';

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
  api: { get, del: async () => undefined, user: null },
}));

const { ApiError } = await import('../api/rest');
const {
  applyMessage,
  applyReceipt,
  conversations,
  inHeldOrder,
  leaveGroup,
  loadConversations,
  refreshConversation,
  resetConversations,
  sortedConversations,
  unreadCount,
  upsertConversation,
} = await import('./conversations');

const conversation = (id: string, title: string): Conversation => ({
  id,
  type: 'group',
  title,
  avatar_id: null,
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

  it('brings a new display name to the people known from chats they left (their old messages there)', async () => {
    const { people } = await import('./people');
    people.set(() => ({ dave: 'Dave Davis', erin: 'Erin' }));
    const member = (id: string, display_name: string): Member => ({
      id,
      username: id,
      display_name,
      role: 'member',
      online: false,
      avatar_id: null,
      last_seen_at: null,
      delivered_seq: 0,
      read_seq: 0,
    });
    get.mockResolvedValueOnce({
      ...conversation('c1', 'Launch crew'),
      members: [member('dave', 'David "Dave" Davis'), member('frank', 'Frank')],
    });
    await refreshConversation('c1');
    expect(people.get()).toEqual({ dave: 'David "Dave" Davis', erin: 'Erin' });
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

describe('refresh retries', () => {
  beforeEach(() => {
    get.mockReset();
    vi.useFakeTimers();
    conversations.set(() => ({ byId: {}, loaded: true }));
    upsertConversation(conversation('c1', 'Launch crew'));
  });
  afterEach(() => void vi.useRealTimers());

  it('an event during the retries starts the count afresh', async () => {
    get.mockRejectedValue(new ApiError(503, 'unavailable', 'Try again'));
    await refreshConversation('c1');
    await vi.advanceTimersByTimeAsync(1000);
    expect(get).toHaveBeenCalledTimes(2);
    await refreshConversation('c1'); // a conversation_updated, say
    expect(get).toHaveBeenCalledTimes(3);
    for (const [wait, calls] of [
      [1000, 4],
      [2000, 5],
      [4000, 6],
      [60_000, 6],
    ] as const) {
      await vi.advanceTimersByTimeAsync(wait);
      expect(get).toHaveBeenCalledTimes(calls);
    }
  });

  it('signing out drops an answer still on its way and every pending retry', async () => {
    let answer!: (c: Conversation) => void;
    get.mockReturnValueOnce(new Promise<Conversation>((r) => (answer = r)));
    const pending = refreshConversation('c1');
    resetConversations();
    answer(conversation('c1', 'From the previous account'));
    await pending;
    expect(conversations.get().byId.c1).toBeUndefined();

    upsertConversation(conversation('c2', 'Other'));
    get.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await refreshConversation('c2');
    resetConversations();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(get).toHaveBeenCalledTimes(2);
  });
});

describe('the list held in place under the pointer', () => {
  const at = (c: Conversation, minute: number) => ({
    ...c,
    last_activity_at: `2026-12-03T10:${String(minute).padStart(2, '0')}:00Z`,
  });
  const ids = (list: Conversation[]) => list.map((c) => c.id);

  it('keeps the held order when a lower chat gets a message, and puts new chats below', () => {
    const [a, b, c] = [at(conversation('a', 'A'), 3), at(conversation('b', 'B'), 2), at(conversation('c', 'C'), 1)];
    const held = ids(sortedConversations({ a, b, c }));
    expect(held).toEqual(['a', 'b', 'c']);
    const later = { a, b, c: at(c, 9), d: at(conversation('d', 'D'), 5), e: at(conversation('e', 'E'), 4) };
    expect(ids(sortedConversations(later))).toEqual(['c', 'd', 'e', 'a', 'b']);
    const shown = inHeldOrder(sortedConversations(later), held);
    expect(ids(shown)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The content is the fresh one.
    expect(shown[2]!.last_activity_at).toBe(later.c.last_activity_at);
  });

  it('drops chats that went away', () => {
    const [a, b] = [at(conversation('a', 'A'), 3), at(conversation('b', 'B'), 2)];
    expect(ids(inHeldOrder(sortedConversations({ b }), ['a', 'b']))).toEqual(['b']);
    expect(ids(inHeldOrder(sortedConversations({ a, b }), []))).toEqual(['a', 'b']);
  });
});

describe('a fresh list that was read before a live event already here', () => {
  const member = (id: string, read: number): Member => ({
    id,
    username: id,
    display_name: id,
    role: 'member',
    online: true,
    avatar_id: null,
    last_seen_at: null,
    delivered_seq: read,
    read_seq: read,
  });
  const message = (seq: number, content: string, change_seq = 0): Message => ({
    id: `m${seq}`,
    conversation_id: 'c1',
    seq,
    sender_id: 'eve',
    content,
    message_type: 'text',
    client_id: null,
    created_at: `2026-12-03T10:0${seq}:00Z`,
    edited_at: null,
    deleted_at: null,
    reply_to: null,
    reactions: [],
    attachment: null,
    change_seq,
  });
  // What the server held when it answered: Fay had read 2 of 3.
  const stale = (): Conversation => ({
    ...conversation('c1', 'Lunch, renamed'),
    members: [member('fay', 2), member('eve', 3)],
    last_message: message(3, 'Still there?'),
    last_seq: 3,
    last_activity_at: '2026-12-03T10:03:00Z',
  });
  beforeEach(() => {
    get.mockReset();
    conversations.set(() => ({
      byId: { c1: { ...stale(), title: 'Lunch', members: [member('fay', 2), member('eve', 3)] } },
      loaded: true,
    }));
  });

  it('does not undo a read receipt that came meanwhile: the chat stays read', async () => {
    applyReceipt({ conversation_id: 'c1', user_id: 'fay', delivered_seq: 3, read_seq: 3 });
    get.mockResolvedValueOnce({ conversations: [stale()] });
    await loadConversations();
    const c = conversations.get().byId.c1!;
    expect(unreadCount(c, 'fay')).toBe(0);
    // The rest is the fresh copy's.
    expect(c.title).toBe('Lunch, renamed');
  });

  it('does not undo a message, or an edit of the last one, that came meanwhile', async () => {
    applyMessage(message(4, 'Hello?'));
    get.mockResolvedValueOnce({ conversations: [stale()] });
    await loadConversations();
    expect(conversations.get().byId.c1).toMatchObject({ last_seq: 4, last_message: { content: 'Hello?' } });
    expect(unreadCount(conversations.get().byId.c1!, 'fay')).toBe(2);

    upsertConversation({ ...stale(), last_seq: 4, last_message: message(4, 'Hello, edited', 7) });
    upsertConversation({ ...stale(), last_seq: 4, last_message: message(4, 'Hello?') });
    expect(conversations.get().byId.c1?.last_message?.content).toBe('Hello, edited');
  });

  it('a member’s message moves their watermarks to it, as the server records them: what came before it is read', () => {
    // Fay read 2 of 3, then replied from a device that was offline: no read receipt comes.
    applyMessage({ ...message(4, 'On my way'), sender_id: 'fay' });
    const c = conversations.get().byId.c1!;
    expect(c.members.find((m) => m.id === 'fay')).toMatchObject({ delivered_seq: 4, read_seq: 4 });
    expect(c.members.find((m) => m.id === 'eve')).toMatchObject({ read_seq: 3 });
    expect(unreadCount(c, 'eve')).toBe(1);
    // Never backwards.
    applyMessage(message(3, 'Still there?'));
    expect(conversations.get().byId.c1!.members.find((m) => m.id === 'fay')).toMatchObject({ read_seq: 4 });
  });

  it('takes what is newer in the fresh copy, and its members', async () => {
    get.mockResolvedValueOnce({
      conversations: [{ ...stale(), members: [member('fay', 3)], last_seq: 5, last_message: message(5, 'Bye') }],
    });
    await loadConversations();
    const c = conversations.get().byId.c1!;
    expect(c.members.map((m) => [m.id, m.read_seq])).toEqual([['fay', 3]]);
    expect(c).toMatchObject({ last_seq: 5, last_message: { content: 'Bye' } });
  });
});

describe('a list still on its way while a conversation changed here', () => {
  let answer!: (v: { conversations: Conversation[] }) => void;
  const members = (...ids: string[]) =>
    ids.map((id) => ({
      id,
      username: id,
      display_name: id,
      role: 'member' as const,
      online: false,
      avatar_id: null,
      last_seen_at: null,
      delivered_seq: 0,
      read_seq: 0,
    }));
  beforeEach(() => {
    get.mockReset();
    get.mockReturnValueOnce(new Promise((r) => (answer = r)));
    conversations.set(() => ({ byId: {}, loaded: true }));
    upsertConversation({ ...conversation('g', 'Crew'), members: members('fay', 'gus') });
    upsertConversation(conversation('old', 'Old'));
  });

  it('keeps a copy fetched alone meanwhile (a member removed stays removed), and a new conversation', async () => {
    const listed = loadConversations();
    upsertConversation({ ...conversation('g', 'Crew, renamed'), members: members('fay') });
    upsertConversation(conversation('new', 'Just made'));
    answer({
      conversations: [{ ...conversation('g', 'Crew'), members: members('fay', 'gus') }, conversation('old', 'Old')],
    });
    await listed;
    const { byId } = conversations.get();
    expect(Object.keys(byId).sort()).toEqual(['g', 'new', 'old']);
    expect(byId.g).toMatchObject({ title: 'Crew, renamed', members: [{ id: 'fay' }] });
  });

  it('does not bring back a group left meanwhile', async () => {
    const listed = loadConversations();
    await leaveGroup('g');
    answer({
      conversations: [{ ...conversation('g', 'Crew'), members: members('fay', 'gus') }, conversation('old', 'Old')],
    });
    await listed;
    expect(Object.keys(conversations.get().byId)).toEqual(['old']);
  });

  it('drops the list of an account signed out meanwhile', async () => {
    const listed = loadConversations();
    resetConversations();
    answer({ conversations: [conversation('old', 'Old')] });
    await listed;
    expect(conversations.get()).toEqual({ byId: {}, loaded: false });
  });
});
