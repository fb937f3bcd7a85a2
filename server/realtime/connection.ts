import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ServerFrame } from '../../protocol/frames.js';
import { CLOSE_CODES } from '../../protocol/frames.js';

/** The TCP socket under a WebSocket (ws keeps it private; there is no public cork). */
export const rawSocket = (ws: WebSocket) => (ws as unknown as { _socket?: Socket })._socket;

/**
 * Cuts a socket at once, after sending what it holds (a close frame written this turn of the
 * event loop, such as 1007 or 1009 for a client's protocol error, still reaches the client).
 */
export function terminateSocket(ws: WebSocket): void {
  const socket = rawSocket(ws);
  while (socket && socket.writableCorked > 0) socket.uncork();
  ws.terminate();
}

// Sockets holding frames until the end of this turn of the event loop.
const corked: Connection[] = [];
const flushCorked = () => {
  for (const conn of corked.splice(0)) conn.uncork();
};

/**
 * A flat copy of an ASCII string. randomUUID() (and so a request id) builds its text from a
 * dozen small strings joined together, which V8 keeps as a tree of about 350 bytes; what a
 * socket keeps for life it keeps flat (56 bytes).
 */
export const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

/** One authenticated socket: identity plus a send path that protects the server's memory. */
export class Connection {
  readonly id = flat(randomUUID());
  missedPongs = 0;
  private cut = false;
  private corkedSocket: Socket | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly userId: string,
    readonly sessionId: string,
    private readonly maxBufferedBytes: number,
    private readonly log: { warn: (obj: object, msg: string) => void },
  ) {}

  /** Sends an already serialized frame; a consumer too slow to drain its buffer is cut off. */
  sendRaw(data: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount + data.length > this.maxBufferedBytes) {
      this.cutOff();
      return;
    }
    this.cork();
    this.ws.send(data);
  }

  /**
   * Frames sent to this socket in one turn of the event loop (a batch's acks and messages)
   * leave together in one system call at the end of the turn, instead of one each: on
   * loopback and virtual machines the write itself is the dearest part of a send.
   */
  private cork(): void {
    if (this.corkedSocket) return;
    const socket = rawSocket(this.ws);
    if (!socket) return;
    socket.cork();
    this.corkedSocket = socket;
    if (corked.push(this) === 1) setImmediate(flushCorked);
  }

  /** @internal Sends what the socket holds (see cork). */
  uncork(): void {
    const socket = this.corkedSocket;
    this.corkedSocket = null;
    socket?.uncork();
  }

  send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private cutOff(): void {
    if (this.cut) return;
    this.cut = true;
    this.log.warn(
      { userId: this.userId, socketId: this.id, buffered: this.ws.bufferedAmount },
      'slow consumer cut off',
    );
    this.ws.close(CLOSE_CODES.slowConsumer, 'slow consumer');
    // The close frame waits behind the unread data; free the memory now.
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }
}
