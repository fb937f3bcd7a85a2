import type { ServerFrame } from '../../../protocol/frames.js';
import { CLOSE_CODES } from '../../../protocol/frames.js';

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'online' }
  | { status: 'reconnecting'; retryAt: number; attempt: number }
  | { status: 'offline' };

type FrameHandler = (frame: ServerFrame) => void;

const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 8_000;
const MAX_BACKOFF_MS = 15_000;

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 15 s. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * One WebSocket to the server that keeps itself alive: authenticates with the first frame
 * (the token never appears in a URL), detects dead connections with app-level ping/pong,
 * reconnects with backoff, and tells listeners when it is ready again so they can resync.
 */
export class ChatSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private waiting = new Map<
    string,
    { resolve: (f: ServerFrame | null) => void; timer: ReturnType<typeof setTimeout> }
  >();
  private handlers = new Set<FrameHandler>();
  private stateListeners = new Set<(s: ConnectionState) => void>();
  private closeListeners = new Set<(code: number) => void>();
  private stopped = true;
  /** Bumped by every open/stop: an open() that awaited across a stop/start gives up. */
  private generation = 0;
  state: ConnectionState = { status: 'connecting' };

  constructor(
    private readonly getToken: () => Promise<string | null>,
    /** Forces a token refresh; rejects (and signs out) when the session is over. */
    private readonly forceRefresh: () => Promise<string | null>,
    private readonly url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`,
  ) {
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => {
      // The close event can take long on a dead network: treat the socket as gone now.
      if (!this.stopped && this.ws) this.dropped(this.ws, 1006);
    });
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.stopPinging();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.setState({ status: 'connecting' });
  }

  onFrame(fn: FrameHandler) {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  onState(fn: (s: ConnectionState) => void) {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Told the close code whenever the socket drops while it should be running. */
  onClose(fn: (code: number) => void) {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  get isOnline() {
    return this.state.status === 'online';
  }

  /** Sends a frame; false when not connected (the caller keeps it for later). */
  send(type: string, payload: unknown, id?: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.state.status !== 'online') return false;
    this.ws.send(JSON.stringify(id ? { type, payload, id } : { type, payload }));
    return true;
  }

  /** Sends a frame and resolves with the reply that echoes its id (null if not connected or no reply in time). */
  request(type: string, payload: unknown, timeoutMs = 10_000): Promise<ServerFrame | null> {
    const id = `r${++this.seq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(id, { resolve, timer });
      if (!this.send(type, payload, id)) {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(null);
      }
    });
  }

  reconnectNow() {
    if (this.stopped || this.state.status === 'online' || this.state.status === 'connecting') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.open();
  }

  private setState(s: ConnectionState) {
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  private async open() {
    if (this.stopped) return;
    if (!navigator.onLine) return this.setState({ status: 'offline' });
    const generation = ++this.generation;
    this.setState({ status: 'connecting' });
    let token: string | null;
    try {
      token = await this.getToken();
    } catch {
      if (generation === this.generation) this.scheduleRetry();
      return;
    }
    if (!token || this.stopped || generation !== this.generation) return;
    this.ws?.close();
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', payload: { token } }));
    ws.onmessage = (ev) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.attempt = 0;
        this.setState({ status: 'online' });
        this.startPinging();
      }
      if (frame.type === 'pong') clearTimeout(this.pongTimer);
      if (frame.id !== undefined) {
        const w = this.waiting.get(String(frame.id));
        if (w) {
          clearTimeout(w.timer);
          this.waiting.delete(String(frame.id));
          w.resolve(frame);
        }
      }
      for (const fn of this.handlers) fn(frame);
    };
    ws.onclose = (ev: CloseEvent) => this.dropped(ws, ev.code);
  }

  /** The socket is gone (closed, failed, or found dead): fail its pending requests and reconnect. */
  private dropped(ws: WebSocket, code: number) {
    if (this.ws !== ws) return;
    this.ws = null;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    this.stopPinging();
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(null);
      this.waiting.delete(id);
    }
    if (this.stopped) return;
    for (const fn of this.closeListeners) fn(code);
    if (this.stopped) return;
    if (code === CLOSE_CODES.unauthorized || code === CLOSE_CODES.forbidden) {
      // The access token may be stale, or the session over: a forced refresh tells which,
      // and signs the user out (stopping this socket) when it is over.
      this.setState({ status: 'connecting' });
      const generation = this.generation;
      this.forceRefresh().then(
        () => generation === this.generation && this.scheduleRetry(),
        () => generation === this.generation && this.scheduleRetry(),
      );
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry() {
    if (this.stopped) return;
    if (!navigator.onLine) return this.setState({ status: 'offline' });
    const delay = backoffMs(this.attempt);
    this.setState({ status: 'reconnecting', retryAt: Date.now() + delay, attempt: ++this.attempt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (!this.send('ping', {})) return;
      clearTimeout(this.pongTimer);
      // No pong in time: the connection is dead even if the browser has not noticed.
      this.pongTimer = setTimeout(
        () => this.ws?.dispatchEvent(new CloseEvent('close', { code: 4000 })),
        PONG_TIMEOUT_MS,
      );
    }, PING_EVERY_MS);
  }

  private stopPinging() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
