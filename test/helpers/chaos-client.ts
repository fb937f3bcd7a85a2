import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';

/**
 * A client that behaves like the real one under failure: it keeps every unacknowledged
 * message and sends it again, with the same client_id, after every reconnect (and on a timer),
 * reconnecting by itself whenever the socket drops.
 */
export function chaosSender(base: string, token: string, conversationId: string, label: string) {
  const url = `${base.replace(/^http/, 'ws')}/api/ws?token=${encodeURIComponent(token)}`;
  const pending = new Map<string, { content: string; sentAt: number }>();
  const acked = new Map<string, { id: string; seq: number }>();
  let ws: WebSocket | null = null;
  let ready = false;
  let stopped = false;
  let reconnects = 0;

  const send = (clientId: string) => {
    const p = pending.get(clientId);
    if (!p || !ready || !ws) return;
    p.sentAt = Date.now();
    ws.send(
      JSON.stringify({
        type: 'chat_message',
        payload: { conversation_id: conversationId, content: p.content, client_id: clientId },
      }),
    );
  };

  const connect = () => {
    if (stopped) return;
    const w = new WebSocket(url);
    ws = w;
    w.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; payload: any };
      if (f.type === 'ready') {
        ready = true;
        for (const id of pending.keys()) send(id);
      } else if (f.type === 'message_ack') {
        acked.set(f.payload.client_id, { id: f.payload.id, seq: f.payload.seq });
        pending.delete(f.payload.client_id);
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
  // Anything unanswered for a second goes again (an error frame, or an answer lost in a crash).
  const resend = setInterval(() => {
    const now = Date.now();
    for (const [id, p] of pending) if (now - p.sentAt > 1000) send(id);
  }, 250);

  return {
    acked,
    pending,
    get reconnects() {
      return reconnects;
    },
    queue(n: number) {
      const id = randomUUID();
      pending.set(id, { content: `${label} ${n}`, sentAt: 0 });
      send(id);
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
