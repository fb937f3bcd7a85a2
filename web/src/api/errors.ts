import type { ErrorBody } from '../../../protocol/errors.js';

/** A request that failed: the server's status and code (0 and `network`: it was not reached). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An error's message for people: a refused field is named as a form names it ("Username may
 * contain only…"), not by its path in the request ("Invalid request: body.username: …").
 */
export function readable(err: ErrorBody['error']): string {
  if (err.code !== 'validation_failed' || !err.details?.length) return err.message;
  return err.details
    .slice(0, 3)
    .map((d) => {
      const field = d.path.split('.').slice(1).at(-1);
      const message = d.message || 'is invalid';
      if (!field || /^\d+$/.test(field)) return message[0]!.toUpperCase() + message.slice(1);
      const name = field.replace(/_/g, ' ');
      return `${name[0]!.toUpperCase()}${name.slice(1)} ${message}`;
    })
    .join('. ');
}
