import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ServerFrame } from '../../protocol/frames.js';
import { CLOSE_CODES } from '../../protocol/frames.js';

/** One authenticated socket: identity plus a send path that protects the server's memory. */
export class Connection {
  readonly id = randomUUID();
  missedPongs = 0;
  private cut = false;

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
    this.ws.send(data);
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
