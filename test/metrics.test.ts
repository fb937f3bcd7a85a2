import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';
import { createDirect, createUsers } from './helpers/factories.js';
import { WsClient } from './helpers/ws.js';

const TOKEN = 'metrics-token-0123456789';
let s: TestServer;
beforeAll(async () => {
  s = await startServer({ METRICS_TOKEN: TOKEN });
});
afterAll(() => s?.close());

const scrape = async () => {
  const res = await s.http.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text;
};
/** The value of one series (0 when absent). */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('GET /metrics', () => {
  it('needs the METRICS_TOKEN when one is set', async () => {
    expect((await s.http.get('/metrics')).status).toBe(401);
    expect((await s.http.request('GET', '/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(await scrape()).toContain('# TYPE chatify_messages_stored_total counter');
  });

  it('moves when messages flow', async () => {
    const [alice, bob] = await createUsers(s.http, 2);
    const conversationId = await createDirect(s.http, alice, bob);
    const before = await scrape();
    const a = await WsClient.connect(s.base, alice.token);
    const b = await WsClient.connect(s.base, bob.token);
    for (let i = 0; i < 3; i++) {
      const ack = await a.request('chat_message', {
        conversation_id: conversationId,
        content: `m${i}`,
        client_id: randomUUID(),
      });
      expect(ack.type).toBe('message_ack');
    }
    await b.waitForType('new_message', (p) => p.content === 'm2');
    const during = await scrape();
    const delta = (series: string) => value(during, series) - value(before, series);

    expect(delta('chatify_messages_stored_total')).toBe(3);
    expect(delta('chatify_send_ack_seconds_count')).toBe(3);
    expect(delta('chatify_ws_frames_received_total{type="chat_message"}')).toBe(3);
    expect(delta('chatify_ws_frames_sent_total{type="message_ack"}')).toBe(3);
    // Each new_message went to both members' sockets.
    expect(delta('chatify_ws_frames_sent_total{type="new_message"}')).toBeGreaterThanOrEqual(6);
    expect(delta('chatify_fanout_deliveries_total')).toBeGreaterThanOrEqual(6);
    expect(delta('chatify_bus_published_total')).toBeGreaterThanOrEqual(3);
    expect(delta('chatify_bus_received_total')).toBeGreaterThanOrEqual(3);
    expect(delta('chatify_db_query_seconds_count')).toBeGreaterThan(0);
    expect(value(during, 'chatify_ws_connections')).toBe(2);
    expect(value(during, 'chatify_connected_users')).toBe(2);
    expect(value(during, 'chatify_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(delta('chatify_http_requests_total{method="POST",route="/api/conversations",status="201"}')).toBe(0);
    expect(value(during, 'chatify_http_requests_total{method="POST",route="/api/conversations",status="201"}')).toBe(1);
    expect(during).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(during).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    await a.close();
    await b.close();
  });
});
