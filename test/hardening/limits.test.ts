import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/limits.js';
import { realtimeSuite } from '../helpers/realtime.js';

// Limits at their edges: exactly the limit passes, one over is refused with a clear error,
// and an oversized HTTP body is turned away without being read.
const t = realtimeSuite();

describe('message size', () => {
  it(`a message of exactly ${LIMITS.contentMax} characters is acked; one more is refused and nothing stored`, async () => {
    const { alice, conversationId } = await t.pair();
    const ws = await t.connect(alice);
    const atLimit = await ws.request('chat_message', {
      conversation_id: conversationId,
      content: 'x'.repeat(LIMITS.contentMax),
      client_id: randomUUID(),
    });
    expect(atLimit.type).toBe('message_ack');
    const over = await ws.request('chat_message', {
      conversation_id: conversationId,
      content: 'x'.repeat(LIMITS.contentMax + 1),
      client_id: randomUUID(),
    });
    expect(over.type).toBe('error');
    expect(over.payload).toMatchObject({ code: 'validation_failed' });
    expect(over.payload.message).toMatch(/content/);
    const history = await t.s.http.get(`/api/conversations/${conversationId}/messages`, alice.token);
    expect(history.body.messages).toHaveLength(1);
  });
});

describe('HTTP bodies over 1 MiB', () => {
  it('get 413 payload_too_large at once, read or not', async () => {
    const { alice, conversationId } = await t.pair();
    const path = `/api/conversations/${conversationId}/messages`;
    const started = Date.now();
    const res = await t.s.http.request('POST', path, {
      token: alice.token,
      raw: JSON.stringify({ content: 'x'.repeat(1024 * 1024), client_id: randomUUID() }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(Date.now() - started).toBeLessThan(2000);

    // A client that announces 100 MiB and sends slowly is answered from the header alone.
    const { port } = new URL(t.s.base);
    const announced = await new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
      const began = Date.now();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: {
            authorization: `Bearer ${alice.token}`,
            'content-type': 'application/json',
            'content-length': String(100 * 1024 * 1024),
          },
        },
        (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, ms: Date.now() - began }));
        },
      );
      req.on('error', reject);
      req.write('{"content":"');
    });
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.body).error.code).toBe('payload_too_large');
    expect(announced.ms).toBeLessThan(2000);
  });
});
