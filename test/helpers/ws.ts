import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';

export interface Frame {
  type: string;
  payload: any;
  id?: string | number;
}

/**
 * A real WebSocket client for tests. Every frame received is kept; `waitFor` takes the first
 * one not yet taken that matches, waiting for it if needed.
 */
export class WsClient {
  readonly frames: Frame[] = [];
  private readonly taken = new Set<Frame>();
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.taken.add(frame);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a socket; resolves once the server says `ready` (or at `open` with `waitReady: false`). */
  static async connect(
    base: string,
    token: string | null,
    opts: { origin?: string; waitReady?: boolean; headers?: Record<string, string> } = {},
  ): Promise<WsClient> {
    const url = `${base.replace(/^http/, 'ws')}/api/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    const ws = new WebSocket(url, { origin: opts.origin, headers: opts.headers, perMessageDeflate: false });
    const client = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new UpgradeRefused(res.statusCode ?? 0)));
    });
    if (token && opts.waitReady !== false) await client.waitFor((f) => f.type === 'ready');
    return client;
  }

  send(type: string, payload?: unknown, id?: string | number) {
    this.ws.send(JSON.stringify(id === undefined ? { type, payload } : { type, payload, id }));
  }

  sendRaw(data: string | Buffer) {
    this.ws.send(data);
  }

  /** Sends a frame with a fresh id and waits for the reply that echoes it. */
  request(type: string, payload?: unknown, timeoutMs = 5000): Promise<Frame> {
    const id = randomUUID();
    const reply = this.waitFor((f) => f.id === id, timeoutMs);
    this.send(type, payload, id);
    return reply;
  }

  waitFor(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const found = this.frames.find((f) => !this.taken.has(f) && match(f));
    if (found) {
      this.taken.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitForType(type: string, match: (p: any) => boolean = () => true, timeoutMs = 5000) {
    return this.waitFor((f) => f.type === type && match(f.payload), timeoutMs);
  }

  /** Frames of a type received so far (taken or not). */
  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Closes cleanly, or terminates after 1 s (a client that stopped reading never completes the handshake). */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    await this.closed;
    clearTimeout(timer);
  }
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

/** Lets the event loop and the server run for a moment (to show that something did NOT arrive). */
export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
