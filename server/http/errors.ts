import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { ErrorBody, ErrorCode, ErrorDetail } from '../../protocol/errors.js';
import { AppError, RetryLaterError } from '../errors.js';

const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'Body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'Body is empty but Content-Type is application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'Body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Send JSON with Content-Type: application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad_request', 'Content-Length does not match the body'],
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

const body = (code: ErrorCode, message: string, details?: ErrorDetail[]): ErrorBody => ({
  error: details?.length ? { code, message, details } : { code, message },
});

/** The one place an error becomes an HTTP response. Internal details go to the log only. */
export function handleHttpError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    if (err instanceof RetryLaterError) reply.header('retry-after', Math.ceil(err.retryAfterMs / 1000));
    // The database or a busy conversation: worth another try in a second.
    else if (err.status === 503) reply.header('retry-after', 1);
    return reply.status(err.status).send(body(err.code, err.message, err.details));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    const details = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is invalid',
    }));
    const summary = details
      .slice(0, 3)
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ');
    return reply.status(400).send(body('validation_failed', `Invalid request: ${summary}`, details));
  }
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return reply.status(err.statusCode ?? 400).send(body(known[0], known[1]));
  if (isResponseSerializationError(err)) {
    req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    return reply.status(500).send(body('internal', 'Internal server error'));
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.status(status).send(body(STATUS_CODES[status] ?? 'bad_request', err.message));
  }
  req.log.error({ err }, 'unhandled error');
  return reply.status(status >= 500 && status < 600 ? status : 500).send(body('internal', 'Internal server error'));
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send(body('not_found', `No route for ${req.method} ${req.url.split('?')[0]}`));
}
