import type { RawData } from 'ws';
import { ClientPayloads, Envelope, type ClientFrameType, type ServerFrame } from '../../protocol/frames.js';
import { AppError } from '../errors.js';

export type FrameId = string | number;

export interface ParsedFrame {
  type: ClientFrameType;
  payload: unknown;
  id?: string | number;
}

/** Only an id the Envelope schema would accept is ever echoed back (never a 60 KB or 20,000-deep value). */
const isFrameId = (v: unknown): v is FrameId => (typeof v === 'string' && v.length <= 64) || Number.isSafeInteger(v);

/** The `ref` of an error about this frame: its id, else its client_id, if it has either. */
export function refOf(env: { id?: string | number; payload?: unknown } | undefined): string | number | undefined {
  const id = env?.id as unknown;
  if (id !== undefined) return isFrameId(id) ? id : undefined;
  const p = env?.payload as { client_id?: unknown } | undefined;
  return typeof p?.client_id === 'string' ? p.client_id.slice(0, 64) : undefined;
}

/** Raw socket data -> a typed frame, or an AppError that says what is wrong with it. */
export function parseFrame(
  data: RawData,
  isBinary: boolean,
): ParsedFrame | { error: AppError; ref?: FrameId; id?: FrameId } {
  if (isBinary) return { error: new AppError('bad_request', 'Binary frames are not supported; send JSON text') };
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return { error: new AppError('invalid_json', 'Frame is not valid JSON') };
  }
  const env = Envelope.safeParse(json);
  if (!env.success) {
    return {
      error: new AppError('validation_failed', 'A frame is {type, payload, id?}'),
      ref: refOf(json as Envelope),
    };
  }
  const ref = refOf(env.data);
  const id = env.data.id;
  const schema = (ClientPayloads as Record<string, (typeof ClientPayloads)[ClientFrameType]>)[env.data.type];
  if (!Object.hasOwn(ClientPayloads, env.data.type) || !schema) {
    return { error: new AppError('unknown_type', `Unknown frame type "${env.data.type.slice(0, 64)}"`), ref, id };
  }
  const payload = schema.safeParse(env.data.payload);
  if (!payload.success) {
    const details = payload.error.issues.map((i) => ({ path: i.path.join('.') || 'payload', message: i.message }));
    const summary = details
      .slice(0, 3)
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ');
    return { error: new AppError('validation_failed', `Invalid ${env.data.type}: ${summary}`, details), ref, id };
  }
  return { type: env.data.type as ClientFrameType, payload: payload.data, id: env.data.id };
}

/** An `error` frame; `id` echoes the offending frame's id so a client can match it to its request. */
export function errorFrame(err: AppError, ref?: FrameId, retryAfterMs?: number, id?: FrameId): ServerFrame {
  return {
    ...(id !== undefined ? { id } : {}),
    type: 'error',
    payload: {
      code: err.code,
      message: err.message,
      ...(ref !== undefined ? { ref } : {}),
      ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}),
    },
  };
}
