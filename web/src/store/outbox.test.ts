import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import './memory-storage.test-helper';
import { messageOf } from './message.test-helper';
import type { ServerFrame } from '../../../protocol/frames.js';

// The REST client is replaced by a fake.
vi.mock('../api/rest', () => ({ api: { get: vi.fn(), user: null } }));

const { createOutboxSender, queueMessage } = await import('./outbox');
const { messages, resetMessages } = await import('./messages');
import type { ChatSocket } from '../api/socket';

const ME = 'u1';
const C = 'c1';
const error = (code: string, message = `${code} happened`) =>
  ({ type: 'error', payload: { code, message } }) as unknown as ServerFrame;
const ack = (clientId: string) =>
  ({
    type: 'message_ack',
    payload: { id: 'm1', conversation_id: C, seq: 1, client_id: clientId, created_at: '2026-12-03T10:00:00Z' },
  }) as unknown as ServerFrame;

/** A socket that is online and answers each `chat_message` with the next of `replies`. */
function fakeSocket(replies: ((clientId: string) => ServerFrame)[]) {
  const sent: string[] = [];
  const socket = {
    isOnline: true,
    request: (_type: string, payload: { client_id: string }) => {
      sent.push(payload.client_id);
      const next = replies.shift();
      return Promise.resolve(next ? next(payload.client_id) : null);
    },
  };
  return { socket: socket as unknown as ChatSocket, sent };
}
const pending = () => messages.get().outbox[0];

// Each test's sender, stopped after it (a sender flushes whenever the outbox changes).
let sender: ReturnType<typeof createOutboxSender> | undefined;
const start = (socket: ChatSocket) => (sender = createOutboxSender(socket, () => ME));

describe('the outbox sender', () => {
  beforeEach(() => {
    resetMessages();
    vi.useFakeTimers();
  });
  afterEach(() => {
    sender?.stop();
    vi.useRealTimers();
  });

  it.each(['payload_too_large', 'validation_failed', 'not_found', 'forbidden', 'unknown_type'])(
    'marks a message failed at once on %s, with the server’s words, and sends it once',
    async (code) => {
      const { socket, sent } = fakeSocket([() => error(code, 'Too long for a message')]);
      start(socket);
      queueMessage(ME, C, 'hello'); // the sender starts on the outbox's change
      await vi.advanceTimersByTimeAsync(5_000);
      expect(pending()).toMatchObject({ status: 'failed', error: 'Too long for a message' });
      expect(sent).toHaveLength(1);
    },
  );

  it('retries while the server is unavailable, and the message goes once it is back', async () => {
    const { socket, sent } = fakeSocket([() => error('unavailable'), () => error('unavailable'), (id) => ack(id)]);
    start(socket);
    queueMessage(ME, C, 'hello');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(messages.get().outbox).toEqual([]);
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(1); // the same client_id each time: the server stores it once
  });

  it('gives up on a message after three internal errors in a row, and says so', async () => {
    const { socket, sent } = fakeSocket([
      () => error('internal', 'Something went wrong'),
      () => error('internal', 'Something went wrong'),
      () => error('internal', 'Something went wrong'),
      (id) => ack(id),
    ]);
    start(socket);
    queueMessage(ME, C, 'hello');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pending()).toMatchObject({ status: 'failed', error: 'Something went wrong' });
    expect(sent).toHaveLength(3);
  });

  it('counts internal errors in a row: another answer between them starts the count again', async () => {
    const { socket, sent } = fakeSocket([
      () => error('internal'),
      () => error('internal'),
      () => error('unavailable'),
      () => error('internal'),
      () => error('internal'),
      (id) => ack(id),
    ]);
    start(socket);
    queueMessage(ME, C, 'hello');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(messages.get().outbox).toEqual([]);
    expect(sent).toHaveLength(6);
  });
});

describe('a page of history that already holds a queued send', () => {
  beforeEach(() => resetMessages());

  it('settles the send: the message shows once, and is not sent again', async () => {
    const { api } = await import('../api/rest');
    const { loadLatest } = await import('./messages');
    const { seedCursor } = await import('./cursors');
    queueMessage(ME, C, 'on my way'); // no sender running: it waits, as while offline
    const clientId = pending()!.client_id;
    // The send was stored (by another tab, or before a reload lost its answer), and the
    // chat's newest page comes back before any answer to it.
    seedCursor(C, 0);
    vi.mocked(api.get).mockResolvedValueOnce({
      messages: [
        messageOf(C, 1, {
          sender_id: ME,
          client_id: clientId,
          content: 'on my way',
          created_at: '2026-12-03T10:00:00Z',
        }),
      ],
    });
    await loadLatest(C);
    expect(messages.get().threads[C]?.items.map((m) => m.client_id)).toEqual([clientId]);
    expect(messages.get().outbox).toEqual([]);
  });
});
