import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/db.js';
import { httpClient } from './helpers/http.js';
import { createDirect, createUser, createUsers } from './helpers/factories.js';
import { freePort, spawnNode, waitFor } from './helpers/processes.js';
import { linkToken, startSmtpSink } from './helpers/smtp.js';
import { startServer } from './helpers/server.js';
import { WsClient } from './helpers/ws.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('the email queue is durable', () => {
  it('a verification email that could not be sent before a crash is sent after the restart, once', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const smtpPort = await freePort();
    // The SMTP server is down at first: sending fails and is retried with backoff.
    const node = await spawnNode({
      DATABASE_URL: db.url,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      JOB_POLL_MS: '100',
    });
    cleanup.push(() => node.kill('SIGKILL'));
    const http = httpClient(node.url);
    const u = await createUser(http);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => client.end());
    const job = async () =>
      (
        await client.query<{ attempts: number; done_at: Date | null; last_error: string | null }>(
          "SELECT attempts, done_at, last_error FROM jobs WHERE kind = 'email' AND payload->>'to' = $1",
          [u.email],
        )
      ).rows[0];
    await waitFor(async () => !!(await job())?.last_error, 'a first failed attempt');
    expect((await job())?.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect((await job())?.done_at).toBeNull();

    await node.kill('SIGKILL');
    const smtp = await startSmtpSink(smtpPort);
    cleanup.push(() => smtp.close());
    await node.start();
    const mail = await smtp.waitFor(u.email, 20_000);
    expect(linkToken(mail, 'verify-email')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await waitFor(async () => (await job())?.done_at != null, 'the job marked done');
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.mails.filter((m) => m.to.includes(u.email))).toHaveLength(1);
  }, 60_000);
});

describe('REQUIRE_EMAIL_VERIFICATION', () => {
  it('an unverified user cannot send until the address is confirmed', async () => {
    const smtp = await startSmtpSink();
    cleanup.push(() => smtp.close());
    const s = await startServer({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true', JOB_POLL_MS: '100' });
    cleanup.push(() => s.close());
    const [alice, bob] = await createUsers(s.http, 2);
    const conversationId = await createDirect(s.http, alice, bob);
    const body = () => ({ content: 'hi', client_id: randomUUID() });
    const refused = await s.http.post(`/api/conversations/${conversationId}/messages`, body(), alice.token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/confirm your email/i);
    const ws = await WsClient.connect(s.base, alice.token);
    const frame = await ws.request('chat_message', { conversation_id: conversationId, ...body() });
    expect(frame.payload).toMatchObject({ code: 'forbidden' });

    const token = linkToken(await smtp.waitFor(alice.email), 'verify-email');
    expect((await s.http.post('/api/auth/verify-email', { token })).status).toBe(204);
    expect((await s.http.post(`/api/conversations/${conversationId}/messages`, body(), alice.token)).status).toBe(201);
    expect((await ws.request('chat_message', { conversation_id: conversationId, ...body() })).type).toBe('message_ack');
    await ws.close();
  });
});

describe('housekeeping', () => {
  it('deletes expired throttles, old email tokens and old finished jobs, and keeps the rest', async () => {
    const s = await startServer();
    cleanup.push(() => s.close());
    const [u] = await createUsers(s.http, 1);
    const q = (sql: string, params: unknown[] = []) => s.ctx.db.query(sql, params);
    await q(`INSERT INTO login_failures (key, failures, window_start) VALUES
             ('account:old', 3, now() - interval '2 hours'), ('account:new', 3, now()),
             ('account:locked', 9, now() - interval '2 hours')`);
    await q(`UPDATE login_failures SET locked_until = now() + interval '5 minutes' WHERE key = 'account:locked'`);
    await q(
      `INSERT INTO email_tokens (user_id, purpose, token_hash, email, expires_at) VALUES
             ($1, 'verify_email', 'h-old', 'x@example.test', now() - interval '8 days'),
             ($1, 'verify_email', 'h-new', 'x@example.test', now() + interval '1 day')`,
      [u.id],
    );
    await q(`INSERT INTO jobs (kind, payload, done_at) VALUES ('email', '{}', now() - interval '8 days'),
             ('email', '{}', now() - interval '1 day')`);
    const { housekeeping } = await import('../server/jobs/housekeeping.js');
    await housekeeping(s.ctx);
    const keys = (await q('SELECT key FROM login_failures ORDER BY key')).rows.map((r: any) => r.key);
    expect(keys).toEqual(['account:locked', 'account:new']);
    const tokens = (await q("SELECT token_hash FROM email_tokens WHERE token_hash LIKE 'h-%'")).rows;
    expect(tokens.map((r: any) => r.token_hash)).toEqual(['h-new']);
    const jobs = (await q("SELECT count(*)::int AS n FROM jobs WHERE done_at < now() - interval '7 days'"))
      .rows[0] as any;
    expect(jobs.n).toBe(0);
  });
});
