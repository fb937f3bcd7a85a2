import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { CLOSE_CODES, WS_LIMITS } from '../../protocol/frames.js';
import type { Ctx } from '../context.js';
import type { App } from '../http/types.js';
import { authenticate, isSessionLive } from '../auth/service.js';
import { resyncPasses } from './resync.js';
import { AppError } from '../errors.js';
import { socketClosed, socketOpened } from '../presence/service.js';
import { ringNewDevice, sweepStaleRinging } from '../calls/service.js';
import { deviceGone, endAbandoned } from '../calls/away.js';
import { Connection, flat, rawSocket, terminateSocket } from './connection.js';
import { errorFrame, parseFrame, type ParsedFrame } from './frames.js';
import { frameTypeOf } from '../metrics.js';
import { handlers, type FrameContext } from './handlers.js';
import { isOriginAllowed } from './origin.js';
import { TokenBucket } from './rate-limit.js';
import { Registry } from './registry.js';
import { TypingTracker } from './typing.js';

const MAX_PENDING_FRAMES = 256;

/** The WebSocket gateway at /api/ws: upgrade checks, auth, heartbeat, dispatch, fan-out to local sockets. */
export async function realtimeGateway(app: App, ctx: Ctx) {
  const registry = new Registry(ctx.bus);
  const typing = new TypingTracker(ctx);
  // Work that must finish before the database closes: frame handlers and presence updates.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  const drain = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  // Shutting down: frames that arrive from now on are not run (a client sends its unacked
  // messages again after reconnecting, with their client_ids), and those running finish, acks
  // included, before the sockets close.
  let closing = false;
  const sendBuckets = new Map<string, TokenBucket>();
  const frameBuckets = new Map<string, TokenBucket>();
  const bucketOf = (map: Map<string, TokenBucket>, userId: string, scale: number) => {
    let b = map.get(userId);
    if (!b) map.set(userId, (b = new TokenBucket(ctx.config.WS_SEND_RATE * scale, ctx.config.WS_SEND_BURST * scale)));
    return b;
  };

  ctx.metrics.sources.sockets = () => registry.size;
  ctx.metrics.sources.users = () => registry.users;
  const resync = resyncPasses(registry, (n) => ctx.metrics.framesOut.inc({ type: 'resync' }, n));

  ctx.bus.listen({
    deliver(userIds, data, target) {
      let delivered = 0;
      for (const userId of userIds) {
        for (const conn of registry.ofUser(userId)) {
          if (target?.onlySocket && conn.id !== target.onlySocket) continue;
          if (target?.exceptSocket && conn.id === target.exceptSocket) continue;
          conn.sendRaw(data);
          delivered++;
        }
      }
      if (delivered > 0) {
        ctx.metrics.fanout.inc(delivered);
        ctx.metrics.framesOut.inc({ type: frameTypeOf(data) }, delivered);
      }
    },
    sessionRevoked(sessionId) {
      for (const conn of registry.ofSession(sessionId)) conn.close(CLOSE_CODES.unauthorized, 'session ended');
    },
    userDisabled(userId) {
      for (const conn of [...registry.ofUser(userId)]) conn.close(CLOSE_CODES.forbidden, 'account disabled');
    },
    resyncAll: resync.resyncAll,
  });

  await app.register(websocket, {
    options: { maxPayload: WS_LIMITS.maxFrameBytes, perMessageDeflate: false },
    // A client's protocol error (1009 too big, 1007 bad UTF-8) is not a server error: no error-level line.
    errorHandler(err, socket, req) {
      protocolError(socket, err, { reqId: req.id });
    },
    // Shutdown: 1012 tells clients to reconnect (to another node) and catch up.
    preClose(done) {
      closing = true;
      // The frames already running, for up to 2 s.
      void Promise.race([drain(), new Promise((r) => setTimeout(r, 2_000))]).then(() => {
        const clients = [...this.websocketServer.clients];
        for (const ws of clients) ws.close(CLOSE_CODES.restarting, 'server restarting');
        // Give clients a moment to answer the close; then cut whoever did not.
        const deadline = setTimeout(() => clients.forEach((ws) => ws.terminate()), 2_000);
        void Promise.all(
          clients.map((ws) => new Promise((r) => (ws.readyState === ws.CLOSED ? r(null) : ws.once('close', r)))),
        ).then(() => {
          clearTimeout(deadline);
          this.websocketServer.close(() => done());
        });
      });
    },
  });

  const heartbeat = setInterval(() => {
    // Buckets outlive a disconnect by a heartbeat or so: reconnecting does not refill a burst.
    for (const map of [sendBuckets, frameBuckets]) {
      for (const userId of map.keys()) if (!registry.hasUser(userId)) map.delete(userId);
    }
    for (const conn of registry.all()) {
      if (conn.missedPongs >= 2) {
        conn.ws.terminate();
        continue;
      }
      conn.missedPongs++;
      conn.ws.ping();
    }
  }, ctx.config.WS_HEARTBEAT_MS);
  heartbeat.unref();
  const ringSweep = setInterval(() => {
    track(sweepStaleRinging(ctx)).catch((err) => ctx.log.error({ err }, 'ringing sweep failed'));
    track(endAbandoned(ctx)).catch((err) => ctx.log.error({ err }, 'abandoned calls sweep failed'));
  }, ctx.config.CALL_RING_TIMEOUT_MS);
  ringSweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    clearInterval(ringSweep);
    resync.stop();
    typing.clear();
  });

  // Open sockets per client address (this node): the upgrade has its own limit, not the HTTP one.
  const perIp = new Map<string, number>();
  await app.register(async (scope) => {
    scope.addHook('preValidation', async (req: FastifyRequest, reply) => {
      if ((perIp.get(req.ip) ?? 0) >= ctx.config.WS_MAX_CONNECTIONS_PER_IP) {
        return reply
          .status(429)
          .send({ error: { code: 'rate_limited', message: 'Too many open connections from your address' } });
      }
      if (!isOriginAllowed(req.headers.origin, req.headers.host, ctx.config)) {
        return reply.status(403).send({ error: { code: 'forbidden', message: 'Origin not allowed' } });
      }
      const token = (req.query as { token?: unknown }).token;
      if (typeof token === 'string' && token) req.auth = await authenticate(ctx, token);
    });
    scope.route({
      method: 'GET',
      url: '/api/ws',
      schema: { querystring: z.object({ token: z.string().max(4096).optional() }).loose() },
      // A plain GET (no Upgrade header) gets a JSON error instead of an empty 404.
      handler: async () => {
        throw new AppError('bad_request', 'This endpoint only accepts WebSocket upgrades');
      },
      wsHandler: (ws, req) => acceptSocket(ws, req),
    });
  });

  /** A client's protocol error (1009 too big, 1007 bad UTF-8) is not a server error: no error-level line. */
  function protocolError(ws: WebSocket, err: unknown, fields: object) {
    ctx.log.info({ err, ...fields }, 'socket protocol error');
    terminateSocket(ws);
  }

  function acceptSocket(ws: WebSocket, req: FastifyRequest) {
    // Held for the socket's life: the root logger, not a child per socket; the upgrade's
    // request id (flat, and cut short: a client may send its own) ties the socket's lines to
    // the upgrade's.
    const log = ctx.log;
    const ip = req.ip;
    const reqId = flat(req.id.slice(0, 64));
    releaseUpgrade(ws);
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    ws.once('close', () => {
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n > 0) perIp.set(ip, n);
      else perIp.delete(ip);
    });
    let conn: Connection | null = null;
    let state: 'awaiting_auth' | 'authenticating' | 'open' | 'closed' = 'awaiting_auth';
    const early: [RawData, boolean][] = [];
    let pending = 0;
    // When the socket's next frame may start, and when every frame so far has finished.
    let next = Promise.resolve();
    let settled = Promise.resolve();

    // Listeners first, before any await: nothing the client sends early is lost.
    ws.on('message', (data, isBinary) => {
      // A socket the server is closing (account disabled, session ended, slow consumer) runs
      // nothing more, even when its client ignores the close frame and keeps sending.
      if (ws.readyState !== ws.OPEN) return;
      if (state === 'open') return onFrame(data, isBinary);
      if (state === 'authenticating') {
        if (early.length >= 100) return ws.close(CLOSE_CODES.unauthorized, 'too many frames before auth');
        early.push([data, isBinary]);
        return;
      }
      if (state !== 'awaiting_auth') return;
      const frame = parseFrame(data, isBinary);
      if ('error' in frame || frame.type !== 'auth') {
        ws.send(
          JSON.stringify(errorFrame(new AppError('unauthorized', 'Send {type: "auth", payload: {token}} first'))),
        );
        return ws.close(CLOSE_CODES.unauthorized, 'authentication required');
      }
      state = 'authenticating';
      authenticate(ctx, (frame.payload as { token: string }).token).then(
        (claims) => open(claims),
        (err) => {
          const message = err instanceof AppError ? err.message : 'Authentication failed';
          ws.send(JSON.stringify(errorFrame(new AppError('unauthorized', message), frame.id, undefined, frame.id)));
          ws.close(CLOSE_CODES.unauthorized, 'unauthorized');
        },
      );
    });
    ws.on('pong', () => {
      if (conn) conn.missedPongs = 0;
    });
    ws.on('error', (err) => protocolError(ws, err, { reqId, userId: conn?.userId, socketId: conn?.id }));
    ws.on('close', () => {
      const was = state;
      state = 'closed';
      clearTimeout(authTimer);
      if (was !== 'open' || !conn) return;
      const c = conn;
      registry.remove(c);
      typing.socketClosed(c.userId, c.id);
      log.info({ userId: c.userId, socketId: c.id }, 'socket closed');
      track(socketClosed(ctx, c.userId, c.id)).catch((err) =>
        log.error({ err, userId: c.userId, socketId: c.id }, 'presence update on close failed'),
      );
      // After the socket's queued frames: a call_answer still in the queue must land first.
      track(settled.then(() => deviceGone(ctx, { userId: c.userId, socketId: c.id }))).catch((err) =>
        log.error({ err, userId: c.userId, socketId: c.id }, 'call cleanup failed'),
      );
    });

    let authTimer: NodeJS.Timeout | undefined = setTimeout(() => {
      if (state === 'awaiting_auth' || state === 'authenticating') ws.close(CLOSE_CODES.unauthorized, 'auth timeout');
    }, ctx.config.WS_AUTH_TIMEOUT_MS);
    authTimer.unref();

    if (req.auth) {
      state = 'authenticating';
      void open(req.auth);
    }

    async function open(claims: { userId: string; sessionId: string }) {
      clearTimeout(authTimer);
      authTimer = undefined;
      if (state === 'closed') return;
      conn = new Connection(ws, claims.userId, claims.sessionId, ctx.config.WS_MAX_BUFFERED_BYTES, log);
      await registry.add(conn);
      log.info({ reqId, ip, userId: conn.userId, socketId: conn.id }, 'socket open');
      try {
        // A revocation published between authentication and registration found no socket to close.
        if (!(await isSessionLive(ctx, claims.sessionId, claims.userId))) {
          conn.close(CLOSE_CODES.unauthorized, 'session ended');
        }
      } catch (err) {
        log.warn({ err, userId: conn.userId, socketId: conn.id }, 'session check on open failed');
        conn.close(CLOSE_CODES.restarting, 'try again');
      }
      if (ws.readyState !== ws.OPEN) {
        // Closed while opening (session ended, account disabled): no presence, no ready, no early frames.
        registry.remove(conn);
        state = 'closed';
        return;
      }
      let online: string[] = [];
      try {
        online = await socketOpened(ctx, conn.userId, conn.id);
      } catch (err) {
        log.error({ err, userId: conn.userId, socketId: conn.id }, 'presence update on open failed');
      }
      // `ready` means: registered, subscribed on the bus, and counted online on every node.
      conn.send({
        type: 'ready',
        payload: {
          user_id: claims.userId,
          session_id: claims.sessionId,
          server_time: ctx.now().toISOString(),
          limits: {
            message_edit_window_seconds: ctx.config.MESSAGE_EDIT_WINDOW_SECONDS,
            upload_max_bytes: ctx.config.UPLOAD_MAX_BYTES,
          },
        },
      });
      const timestamp = ctx.now().toISOString();
      for (const userId of online) {
        conn.send({ type: 'presence_update', payload: { user_id: userId, status: 'online', timestamp } });
      }
      if ((state as string) === 'closed') {
        // Closed while we were opening: the close handler saw no open connection, so undo here.
        registry.remove(conn);
        const { userId, id: socketId } = conn;
        socketClosed(ctx, userId, socketId).catch((err) =>
          log.error({ err, userId, socketId }, 'presence cleanup failed'),
        );
        return;
      }
      state = 'open';
      for (const [data, isBinary] of early.splice(0)) onFrame(data, isBinary);
      const c = conn;
      track(ringNewDevice(ctx, c.userId, (frame) => c.send(frame))).catch((err) =>
        log.error({ err, userId: c.userId, socketId: c.id }, 'ringing calls not offered to a new socket'),
      );
    }

    function onFrame(data: RawData, isBinary: boolean) {
      if (closing) return;
      const c = conn!;
      const receivedAt = performance.now();
      const frame = parseFrame(data, isBinary);
      ctx.metrics.framesIn.inc({ type: 'error' in frame ? 'invalid' : frame.type });
      if ('error' in frame) return c.send(errorFrame(frame.error, frame.ref, undefined, frame.id));
      if (frame.type === 'auth')
        return c.send(errorFrame(new AppError('bad_request', 'Already authenticated'), frame.id, undefined, frame.id));
      const isSend = frame.type === 'chat_message';
      const limit = bucketOf(isSend ? sendBuckets : frameBuckets, c.userId, isSend ? 1 : 5).take();
      const ref = frame.id ?? (isSend ? (frame.payload as { client_id: string }).client_id : undefined);
      if (!limit.ok) {
        const err = new AppError('rate_limited', 'Too many frames; slow down');
        return c.send(errorFrame(err, ref, limit.retryAfterMs, frame.id));
      }
      if (pending >= MAX_PENDING_FRAMES) {
        return c.send(errorFrame(new AppError('rate_limited', 'Too many frames in flight'), ref, 1000, frame.id));
      }
      // Frames of one socket are handled in order: each starts once the one before has finished.
      // Sends in a row are the exception: the next starts once this one holds its place in the
      // send queue (queued()), so a socket has several in flight, stored in the order sent and
      // acknowledged as each commits. Any other frame waits for every send before it (a ping,
      // a sync or a read receipt after sends sees them done).
      pending++;
      let queued!: () => void;
      const after = new Promise<void>((r) => (queued = r));
      const done = (isSend ? next : settled).then(() => dispatch(c, frame, ref, receivedAt, queued));
      track(done.finally(() => (pending--, queued())));
      next = after;
      settled = Promise.all([settled, done]).then(() => {});
    }
  }

  /**
   * Lets the upgrade's HTTP objects go once the socket is open: the plugin's error listener
   * holds the Fastify request and reply, and the TCP socket holds the upgrade's response (and
   * through it the request, its headers and the token in its URL), for as long as the socket
   * lives. acceptSocket adds an error listener of its own that does what errorHandler does.
   */
  function releaseUpgrade(ws: WebSocket) {
    const tcp = rawSocket(ws) as (Socket & { _httpMessage?: ServerResponse | null }) | undefined;
    tcp?._httpMessage?.detachSocket(tcp);
    ws.removeAllListeners('error');
  }

  async function dispatch(
    conn: Connection,
    frame: ParsedFrame,
    ref: string | number | undefined,
    receivedAt: number,
    queued: () => void,
  ) {
    // Queued before the server began closing this socket: not applied, never acked; the client resends.
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const f: FrameContext = {
      ctx,
      conn,
      typing,
      queued,
      reply: (out) => {
        ctx.metrics.framesOut.inc({ type: out.type });
        if (out.type === 'message_ack') ctx.metrics.sendAck.observe((performance.now() - receivedAt) / 1000);
        conn.send(frame.id !== undefined ? { ...out, id: frame.id } : out);
      },
      replyJson: (type, payload) => {
        ctx.metrics.framesOut.inc({ type });
        // What send() writes for {type, payload, id}, with the payload's text as it is.
        const id = frame.id !== undefined ? `,"id":${JSON.stringify(frame.id)}` : '';
        conn.sendRaw(`{"type":${JSON.stringify(type)},"payload":${payload}${id}}`);
      },
    };
    try {
      const handler = handlers[frame.type as keyof typeof handlers] as (f: FrameContext, p: unknown) => Promise<void>;
      await handler(f, frame.payload);
    } catch (err) {
      // `unavailable` (the database is gone): the client retries in a moment, with the same
      // client_id (a send that did commit before the timeout is answered, not stored twice).
      if (err instanceof AppError) return f.reply(errorFrame(err, ref, err.code === 'unavailable' ? 1000 : undefined));
      ctx.log.error({ err, type: frame.type, userId: conn.userId }, 'frame handler failed');
      f.reply(errorFrame(new AppError('internal', 'Something went wrong; the frame was not applied'), ref));
    }
  }

  return {
    registry,
    /** Resolves when every frame in progress and every presence update has finished. */
    drain,
  };
}
