import pino, { type Logger, type LoggerOptions } from 'pino';

/** `token=` in a URL (the WebSocket upgrade) never reaches a log line. */
export const redactUrl = (url: string) => url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[REDACTED]');

/** The server's logger; `destination` defaults to stdout (tests capture it to prove what is never logged). */
export function createLogger(level: string, destination?: NodeJS.WritableStream, pretty = false): Logger {
  const options: LoggerOptions = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refresh_token', '*.token'],
      censor: '[REDACTED]',
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers?: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        userAgent: req.headers?.['user-agent'],
      }),
    },
  };
  if (destination) return pino(options, destination);
  // A person at a terminal in development reads lines, not JSON; production always gets JSON.
  if (pretty)
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } });
  return pino(options);
}
