import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * Sends over SMTP_URL (nodemailer), or, with no SMTP configured, writes the email to the log
 * so that on a fresh install a new user can still follow the link (development).
 */
export function createMailer(smtpUrl: string | undefined, from: string, log: Logger, production = false): Mailer {
  if (!smtpUrl) {
    // The links in those emails sign in (a password reset): whoever reads the log can use them.
    if (production) {
      log.warn(
        'SMTP_URL is unset: verification and password-reset emails, with their links, are written to the log instead of sent; set SMTP_URL, and keep the log private',
      );
    }
    return {
      async send(mail) {
        log.info(
          { mail: { to: mail.to, subject: mail.subject, body: mail.text } },
          'email not sent (no SMTP_URL); shown here instead',
        );
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
