import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';

/** At most this many sends unanswered at once (the server refuses more than 256 in flight). */
const WINDOW = 32;

/**
 * A client that behaves like the real one under failure, but pipelines: up to WINDOW messages
 * in flight, oldest first. It keeps every unacknowledged message and sends it again, with the
 * same client_id and in the same order, after every reconnect (and when an answer is a second
 * late), reconnecting by itself whenever the socket drops. Error frames are kept: a
 * well-behaved client under node crashes should never get one.
 */
export function chaosSender(base: string, token: string, conversationId: string, label: string) {
  const url = `${base.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(token)}`;
  // Insertion order is send order; sentAt 0 = not on the current socket yet.
  const pending = new Map<string, { content: string; sentAt: number }>();
  const acked = new Map<string, { id: string; seq: number }>();
  const errors: unknown[] = [];
  let ws: WebSocket | null = null;
  let ready = false;
  let stopped = false;
  let reconnects = 0;

  const pump = () => {
    if (!ready || !ws) return;
    let inFlight = 0;
    for (const [clientId, p] of pending) {
      if (inFlight >= WINDOW) return;
      inFlight++;
      if (p.sentAt !== 0) continue;
      p.sentAt = Date.now();
      ws.send(
        JSON.stringify({
          type: 'chat_message',
          payload: { conversation_id: conversationId, content: p.content, client_id: clientId },
        }),
      );
    }
  };
  const resendAll = () => {
    for (const p of pending.values()) p.sentAt = 0;
    pump();
  };

  const connect = () => {
    if (stopped) return;
    const w = new WebSocket(url);
    ws = w;
    w.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; payload: any };
      if (f.type === 'ready') {
        ready = true;
        resendAll();
      } else if (f.type === 'error') {
        errors.push(f.payload);
      } else if (f.type === 'message_ack') {
        acked.set(f.payload.client_id, { id: f.payload.id, seq: f.payload.seq });
        pending.delete(f.payload.client_id);
        pump();
      }
    });
    w.on('error', () => {});
    w.on('close', () => {
      if (ws !== w) return;
      ready = false;
      ws = null;
      if (!stopped) {
        reconnects++;
        setTimeout(connect, 100);
      }
    });
  };
  connect();
  // An answer lost in a crash: a second without one sends the window again, in order.
  const resend = setInterval(() => {
    const oldest = pending.values().next().value;
    if (oldest && oldest.sentAt !== 0 && Date.now() - oldest.sentAt > 1000) resendAll();
  }, 250);

  return {
    acked,
    errors,
    pending,
    get reconnects() {
      return reconnects;
    },
    queue(n: number) {
      pending.set(randomUUID(), { content: `${label} ${n}`, sentAt: 0 });
      pump();
    },
    async settle(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    },
    stop() {
      stopped = true;
      clearInterval(resend);
      ws?.close();
    },
  };
}
