import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMailer } from './mailer.js';

function logger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('createMailer without SMTP_URL', () => {
  it('writes the email to the log, and in production warns once that its links are there', async () => {
    const prod = logger();
    const mailer = createMailer(undefined, 'Chatify <no-reply@localhost>', prod.log, true);
    await mailer.send({ to: 'a@example.test', subject: 'Reset', text: 'https://chat.example/reset-password?token=t' });
    await new Promise((r) => setImmediate(r));
    expect(prod.lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^SMTP_URL is unset: .*written to the log/),
    ]);
    expect(prod.lines.some((l) => l.msg.startsWith('email not sent'))).toBe(true);

    const dev = logger();
    createMailer(undefined, 'Chatify <no-reply@localhost>', dev.log);
    await new Promise((r) => setImmediate(r));
    expect(dev.lines.filter((l) => l.level === 40)).toEqual([]);
  });
});
