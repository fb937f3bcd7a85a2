import { z } from 'zod';
import { EntityId } from './ids.js';

/** SDP and ICE are relayed untouched; they are only size-capped. */
const MAX_DEPTH = 32;
/** Nesting depth at most MAX_DEPTH, checked without recursion (so it cannot overflow the stack). */
function shallow(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d >= MAX_DEPTH) return false;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return true;
}
const opaque = (maxBytes: number) =>
  z
    .unknown()
    .refine(
      (v) => v !== undefined && shallow(v) && JSON.stringify(v).length <= maxBytes,
      `must be JSON of at most ${maxBytes} bytes and ${MAX_DEPTH} levels`,
    );

export const CallMedia = z.enum(['audio', 'video']);
export const CALL_STATES = ['ringing', 'accepted', 'declined', 'missed', 'busy', 'cancelled', 'ended'] as const;

const CallId = z.uuid().toLowerCase();

export const CallPayloads = {
  call_offer: z.object({
    call_id: CallId,
    conversation_id: EntityId,
    recipient_id: EntityId.optional(),
    media: CallMedia,
    offer: opaque(32_000),
  }),
  call_answer: z.object({ call_id: CallId, answer: opaque(32_000) }),
  ice_candidate: z.object({ call_id: CallId, candidate: opaque(4_000) }),
  call_media: z.object({ call_id: CallId, muted: z.boolean(), camera_off: z.boolean() }),
  call_decline: z.object({ call_id: CallId }),
  call_cancel: z.object({ call_id: CallId }),
  call_end: z.object({ call_id: CallId }),
  call_rejoin: z.object({ call_id: CallId }),
  ringing_calls: z.object({}),
} as const;

const Ref = z.object({ call_id: z.string() });
export const CallServerPayloads = {
  call_offer: z.object({
    call_id: z.string(),
    conversation_id: z.string(),
    caller_id: z.string(),
    media: CallMedia,
    offer: z.unknown(),
  }),
  call_ringing: Ref,
  call_busy: Ref,
  call_answer: z.object({ call_id: z.string(), answer: z.unknown() }),
  call_answered_elsewhere: Ref,
  ice_candidate: z.object({ call_id: z.string(), candidate: z.unknown() }),
  call_media: z.object({ call_id: z.string(), muted: z.boolean(), camera_off: z.boolean() }),
  call_decline: Ref,
  call_cancel: Ref,
  call_end: z.object({ call_id: z.string(), reason: z.string() }),
  call_missed: Ref,
} as const;

export const Call = z.object({
  id: z.string(),
  conversation_id: z.string(),
  caller_id: z.string().nullable(),
  participants: z.array(z.string()),
  media: CallMedia,
  state: z.enum(CALL_STATES),
  started_at: z.string(),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  duration_seconds: z.number().int().nullable(),
});
export type Call = z.infer<typeof Call>;
export const CallList = z.object({ calls: z.array(Call) });

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export const IceServers = z.object({
  ice_servers: z.array(IceServer),
  ice_transport_policy: z.enum(['all', 'relay']),
  ttl: z.number().int(),
});
export type IceServers = z.infer<typeof IceServers>;
