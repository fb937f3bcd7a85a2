import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { startServer, type TestServer } from '../helpers/server.js';
import { createDirect, createUser, type TestUser } from '../helpers/factories.js';
import { settle, UpgradeRefused, WsClient } from '../helpers/ws.js';
import { findGc } from '../hardening/fuzz-kit.js';

let s: TestServer;
const open: WsClient[] = [];
const track = (c: WsClient) => (open.push(c), c);
const connect = async (u: TestUser) => track(await WsClient.connect(s.base, u.token));

beforeAll(async () => {
  s = await startServer({
    WS_SEND_RATE: '2',
    WS_SEND_BURST: '3',
    WS_AUTH_TIMEOUT_MS: '300',
    WS_HEARTBEAT_MS: '100',
    WS_MAX_BUFFERED_BYTES: String(256 * 1024),
    ALLOWED_ORIGINS: 'https://app.example.com',
  });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => s?.close());

describe('authentication', () => {
  it('accepts the token as the first frame and buffers frames sent before auth completes', async () => {
    const u = await createUser(s.http);
    const c = track(await WsClient.connect(s.base, null));
    c.send('auth', { token: u.token });
    c.send('ping', {}, 'early-1');
    c.send('ping', {}, 'early-2');
    expect((await c.waitForType('ready')).payload.user_id).toBe(u.id);
    expect((await c.waitFor((f) => f.id === 'early-1')).type).toBe('pong');
    expect((await c.waitFor((f) => f.id === 'early-2')).type).toBe('pong');
  });

  it('refuses the upgrade for a bad or expired token in the query', async () => {
    const u = await createUser(s.http);
    await expect(WsClient.connect(s.base, 'garbage')).rejects.toMatchObject({ status: 401 });
    const expired = await new SignJWT({ sid: randomUUID(), typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.id)
      .setIssuer('chatify')
      .setAudience('chatify')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(s.config.JWT_SECRET));
    await expect(WsClient.connect(s.base, expired)).rejects.toBeInstanceOf(UpgradeRefused);
  });

  it('closes with 4401 for a bad token in the auth frame, a first frame that is not auth, or no auth in time', async () => {
    const bad = track(await WsClient.connect(s.base, null));
    bad.send('auth', { token: 'nope' });
    expect((await bad.closed).code).toBe(4401);

    const rude = track(await WsClient.connect(s.base, null));
    rude.send('chat_message', { conversation_id: randomUUID(), content: 'x', client_id: 'c1' });
    expect((await rude.closed).code).toBe(4401);

    const silent = track(await WsClient.connect(s.base, null));
    expect((await silent.closed).code).toBe(4401);
  });
});

describe('Origin', () => {
  it('allows no Origin, the server’s own and listed origins; refuses foreign, look-alike and null', async () => {
    const u = await createUser(s.http);
    const host = new URL(s.base).host;
    for (const origin of [undefined, `http://${host}`, 'https://app.example.com']) {
      await track(await WsClient.connect(s.base, u.token, { origin })).close();
    }
    for (const origin of [
      'https://evil.test',
      'https://app.example.com.evil.test',
      'https://evilapp.example.com',
      'http://app.example.com', // another scheme
      'https://app.example.com:8443', // another port
      'null',
      `http://${host}.evil.test`,
    ]) {
      await expect(WsClient.connect(s.base, u.token, { origin })).rejects.toMatchObject({ status: 403 });
    }
  });
});

describe('bad frames', () => {
  it('each gets an error frame and the socket lives on', async () => {
    const u = await createUser(s.http);
    const c = await connect(u);
    const cases: [string | Buffer, string][] = [
      ['{not json', 'invalid_json'],
      ['[]', 'validation_failed'],
      ['"hello"', 'validation_failed'],
      ['{"payload":{}}', 'validation_failed'],
      ['{"type":"launch_missiles","payload":{},"id":"x1"}', 'unknown_type'],
      ['{"type":"__proto__","payload":{}}', 'unknown_type'],
      ['{"type":"toString","payload":{}}', 'unknown_type'],
      ['{"type":"typing","payload":{"conversation_id":123,"is_typing":"yes"}}', 'validation_failed'],
      ['{"type":"delivered","payload":{"conversation_id":"c","seq":1e308}}', 'validation_failed'],
      ['{"type":"delivered","payload":{"conversation_id":"c","seq":-1}}', 'validation_failed'],
      ['{"type":"read_receipt","payload":{}}', 'validation_failed'],
      ['{"type":"sync","payload":{"conversations":"all"}}', 'validation_failed'],
      ['{"type":"auth","payload":{"token":"again"}}', 'bad_request'],
      [Buffer.from([0xff, 0xfe, 0x00]), 'bad_request'],
    ];
    for (const [raw, code] of cases) {
      if (Buffer.isBuffer(raw)) c.ws.send(raw, { binary: true });
      else c.sendRaw(raw);
      const err = await c.waitForType('error');
      expect(err.payload.code, String(raw)).toBe(code);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await c.request('ping', {})).type).toBe('pong');
  });

  it('a schema failure names the field and echoes the client_id as ref', async () => {
    const u = await createUser(s.http);
    const c = await connect(u);
    c.send('chat_message', { conversation_id: randomUUID(), content: 'x'.repeat(4001), client_id: 'ref-me' });
    const err = await c.waitForType('error');
    expect(err.payload).toMatchObject({ code: 'validation_failed', ref: 'ref-me' });
    c.send('typing', { conversation_id: 42 }, 'my-id');
    const byId = await c.waitFor((f) => f.id === 'my-id');
    expect(byId.payload.code).toBe('validation_failed');
    expect(err.payload.message).toContain('content');
  });

  it('a frame over 64 KiB closes the socket with 1009', async () => {
    const u = await createUser(s.http);
    const c = await connect(u);
    c.sendRaw(JSON.stringify({ type: 'ping', payload: { pad: 'x'.repeat(65 * 1024) } }));
    expect((await c.closed).code).toBe(1009);
  });

  it('an open socket keeps nothing of its upgrade request (memory per idle socket)', async () => {
    const gc = findGc();
    if (!gc) throw new Error('no way to run the garbage collector in this process');
    const u = await createUser(s.http);
    // The upgrade's request: the Fastify request, its reply and the raw response all point at it.
    let upgrade: WeakRef<IncomingMessage> | undefined;
    const onUpgrade = (req: IncomingMessage) => (upgrade = new WeakRef(req));
    s.app.server.prependListener('upgrade', onUpgrade);
    const c = await connect(u);
    s.app.server.off('upgrade', onUpgrade);
    expect(upgrade).toBeDefined();
    // A WeakRef's target lives to the end of the job that last read it: collect in another job.
    let kept = true;
    for (let i = 0; i < 10 && kept; i++) {
      await settle(20);
      gc();
      await settle(20);
      kept = upgrade!.deref() !== undefined;
    }
    expect(kept, 'the upgrade request is still reachable from the open socket').toBe(false);
    // The socket works, and its protocol errors are still handled (the plugin's listener went).
    expect((await c.request('ping', {})).type).toBe('pong');
    c.sendRaw(JSON.stringify({ type: 'ping', payload: { pad: 'x'.repeat(65 * 1024) } }));
    expect((await c.closed).code).toBe(1009);
  });
});

describe('limits', () => {
  it('throttles one user’s sends with retry_after_ms, keeps the socket, and leaves others alone', async () => {
    const [alice, bob] = [await createUser(s.http), await createUser(s.http)];
    const conversationId = await createDirect(s.http, alice, bob);
    const [a, b] = await Promise.all([connect(alice), connect(bob)]);
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        a.request('chat_message', { conversation_id: conversationId, content: 'flood', client_id: randomUUID() }),
      ),
    );
    const limited = replies.filter((r) => r.type === 'error');
    expect(replies.filter((r) => r.type === 'message_ack').length).toBe(3);
    expect(limited.length).toBe(3);
    expect(limited[0]!.payload).toMatchObject({ code: 'rate_limited' });
    expect(limited[0]!.payload.retry_after_ms).toBeGreaterThan(0);
    // Bob is unaffected, and Alice can send again once the bucket refills.
    const ack = await b.request('chat_message', {
      conversation_id: conversationId,
      content: 'hi',
      client_id: randomUUID(),
    });
    expect(ack.type).toBe('message_ack');
    await settle(limited[0]!.payload.retry_after_ms + 50);
    const later = await a.request('chat_message', {
      conversation_id: conversationId,
      content: 'ok',
      client_id: randomUUID(),
    });
    expect(later.type).toBe('message_ack');
  });

  it('terminates a socket that stops answering pings; a live one stays', async () => {
    const u = await createUser(s.http);
    const live = await connect(u);
    const url = `${s.base.replace('http', 'ws')}/api/ws?token=${u.token}`;
    const deaf = new WebSocket(url, { autoPong: false });
    const closed = new Promise<number>((r) => deaf.on('close', (code) => r(code)));
    expect(await closed).toBe(1006);
    expect((await live.request('ping', {})).type).toBe('pong');
  });
});

describe('session end', () => {
  it('logout closes that session’s sockets with 4401 and leaves other sessions open', async () => {
    const u = await createUser(s.http);
    const login = await s.http.post('/api/auth/login', { email: u.email, password: u.password });
    const [mine, other] = [await connect(u), track(await WsClient.connect(s.base, login.body.token))];
    expect((await s.http.post('/api/auth/logout', undefined, u.token)).status).toBe(204);
    expect((await mine.closed).code).toBe(4401);
    expect((await other.request('ping', {})).type).toBe('pong');
  });

  it('a spent refresh token revokes its session and closes its sockets', async () => {
    const u = await createUser(s.http);
    const c = await connect(u);
    const first = await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token });
    expect(first.status).toBe(200);
    const replay = await s.http.post('/api/auth/refresh', { refresh_token: u.refresh_token });
    expect(replay.status).toBe(401);
    expect((await c.closed).code).toBe(4401);
    expect((await s.http.post('/api/auth/refresh', { refresh_token: first.body.refresh_token })).status).toBe(401);
  });
});

describe('slow consumer', () => {
  // The default 25 s heartbeat: within this test only the send-buffer limit can cut the socket.
  let slowServer: TestServer;
  beforeAll(async () => {
    slowServer = await startServer({ WS_MAX_BUFFERED_BYTES: String(256 * 1024) });
  });
  afterAll(() => slowServer?.close());

  it('cuts off a consumer that stops reading, without hurting anyone else', async () => {
    const [alice, bob] = [await createUser(slowServer.http), await createUser(slowServer.http)];
    const conversationId = await createDirect(slowServer.http, alice, bob);
    for (let i = 0; i < 100; i++) {
      const res = await slowServer.http.post(
        `/api/conversations/${conversationId}/messages`,
        { content: 'y'.repeat(4000), message_type: 'text', client_id: randomUUID() },
        alice.token,
      );
      expect(res.status).toBe(201);
    }
    const a = track(await WsClient.connect(slowServer.base, alice.token));
    const slow = track(await WsClient.connect(slowServer.base, bob.token));
    // Bob's client stops reading, then keeps asking for 400 KB sync pages.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 40; i++)
      slow.send('sync', { conversations: [{ conversation_id: conversationId, after_seq: 0 }] });
    const offline = await a.waitForType(
      'presence_update',
      (p) => p.user_id === bob.id && p.status === 'offline',
      10_000,
    );
    expect(offline.payload.status).toBe('offline');
    expect((await a.request('ping', {})).type).toBe('pong');
  });
});
