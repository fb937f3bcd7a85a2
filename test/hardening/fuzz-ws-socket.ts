/**
 * The WebSocket fuzzer's client (fuzz-ws.test.ts): a socket that reports anything the server
 * sends that is not a JSON text frame, and a wait that gives up early when the server crashed.
 */
import WebSocket from 'ws';
import type { TestUser } from '../helpers/factories.js';
import { crashWatchers, finding, show } from './fuzz-harness.js';
import type { Reply } from './fuzz-ws-plan.js';

export class FuzzSocket {
  onFrame: ((f: Reply) => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    // Errors of the client side (e.g. sending while the server closes) end in `close`.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      let frame: Reply;
      try {
        frame = JSON.parse(data.toString()) as Reply;
      } catch {
        finding('ws: server sent a frame that is not JSON', show(data.toString()));
        return;
      }
      if (isBinary) finding('ws: server sent a binary frame', show(data.toString()));
      this.onFrame?.(frame);
    });
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  static async open(base: string, user: TestUser, authByFrame: boolean): Promise<FuzzSocket> {
    const url = `${base.replace(/^http/, 'ws')}/api/ws${authByFrame ? '' : `?token=${encodeURIComponent(user.token)}`}`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const sock = new FuzzSocket(ws);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready frame within 10 s')), 10_000);
      sock.onFrame = (f) => {
        if (f.type !== 'ready') return;
        clearTimeout(timer);
        sock.onFrame = null;
        resolve();
      };
      void sock.closed.then(({ code }) => (clearTimeout(timer), reject(new Error(`closed with ${code} before ready`))));
    });
    ready.catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    if (authByFrame) ws.send(JSON.stringify({ type: 'auth', payload: { token: user.token } }));
    await ready;
    return sock;
  }

  async terminate() {
    this.ws.terminate();
    await this.closed;
  }

  /** Sends a frame with a fresh id and waits for the reply echoing it. */
  request(type: string, payload: unknown, id: string, timeoutMs = 10_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.onFrame = (f) => {
        if (f.id !== id) return;
        clearTimeout(timer);
        resolve(f);
      };
      this.ws.send(JSON.stringify({ type, payload, id }));
    });
  }
}

/** Resolves true when `p` does; false on timeout, sooner when the server just crashed. */
export function waitAnswer(p: Promise<unknown>, closed: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let timer = setTimeout(() => done(false), ms);
    const onCrash = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), 2_000);
    };
    crashWatchers.add(onCrash);
    function done(v: boolean) {
      clearTimeout(timer);
      crashWatchers.delete(onCrash);
      resolve(v);
    }
    void p.then(() => done(true));
    void closed.then(() => setTimeout(() => done(false), 50));
  });
}
