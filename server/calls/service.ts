import type { Ctx } from '../context.js';
import type { Call } from '../../protocol/calls.js';
import type { Message } from '../../protocol/messages.js';
import type { OutFrame } from '../bus/bus.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { iso, isoNow } from '../ids.js';
import { requireMember } from '../conversations/access.js';
import type { Queryable } from '../db/client.js';
import { advanceWatermark, sendMessage } from '../messages/service.js';

export type CallState = Call['state'];

interface CallRow {
  id: string;
  conversation_id: string;
  caller_id: string | null;
  media: 'audio' | 'video';
  state: CallState;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
  participants: string[];
}

export interface Participant {
  user_id: string;
  role: 'caller' | 'callee';
  socket_id: string | null;
}

/** A user on one of their devices (socket). */
export interface Device {
  userId: string;
  socketId: string;
}

export const callNotFound = () => notFound('Call not found');
// A call still "ringing" this long after the ring timeout lost its timer (its node died).
const ringStaleMs = (ctx: Ctx) => ctx.config.CALL_RING_TIMEOUT_MS + 5_000;

/** Sends a frame to a participant's active device, or to all their devices. */
export function notify(ctx: Ctx, to: Participant, frame: OutFrame, allDevices = false) {
  if (!allDevices && to.socket_id) ctx.bus.publishToUsers([to.user_id], frame, { onlySocket: to.socket_id });
  else ctx.bus.publishToUsers([to.user_id], frame);
}

export async function participantsOf(ctx: Ctx, callId: string): Promise<Participant[]> {
  const { rows } = await ctx.db.query<Participant>(
    'SELECT user_id, role, socket_id FROM call_participants WHERE call_id = $1',
    [callId],
  );
  return rows;
}

export async function relayOnlyOf(ctx: Ctx, userId: string): Promise<boolean> {
  const { rows } = await ctx.db.query<{ relay_only: boolean }>('SELECT relay_only FROM users WHERE id = $1', [userId]);
  return rows[0]?.relay_only ?? false;
}

/** Users among `userIds` in a call that is going on or ringing. */
async function inCall(ctx: Ctx, q: Queryable, userIds: string[]): Promise<Set<string>> {
  const { rows } = await q.query<{ user_id: string }>(
    `SELECT p.user_id FROM call_participants p JOIN calls c ON c.id = p.call_id
      WHERE p.user_id = ANY($1::uuid[]) AND p.left_at IS NULL
        AND (c.state = 'accepted' OR (c.state = 'ringing' AND c.started_at > now() - make_interval(secs => $2)))`,
    [userIds, ringStaleMs(ctx) / 1000],
  );
  return new Set(rows.map((r) => r.user_id));
}

/** Marks missed the calls whose ring timer died with its node. */
export async function sweepStaleRinging(ctx: Ctx): Promise<void> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM calls WHERE state = 'ringing' AND started_at < now() - make_interval(secs => $1) LIMIT 100`,
    [ringStaleMs(ctx) / 1000],
  );
  for (const r of rows) await markMissed(ctx, r.id);
}

/**
 * Places a 1:1 call in a direct conversation. Every device of the callee rings; the caller's
 * device hears `call_ringing`, or `call_busy` when the callee is already in a call.
 */
export async function placeCall(
  ctx: Ctx,
  from: Device,
  input: { callId: string; conversationId: string; recipientId?: string; media: 'audio' | 'video'; offer: unknown },
): Promise<{ state: 'ringing' | 'busy' }> {
  const membership = await requireMember(ctx.db, input.conversationId, from.userId);
  if (membership.kind !== 'direct') throw badRequest('Group calls are not supported yet; call from a one-to-one chat');
  const { rows: others } = await ctx.db.query<{ user_id: string }>(
    'SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND user_id <> $2',
    [input.conversationId, from.userId],
  );
  const calleeId = others[0]?.user_id;
  if (!calleeId || (input.recipientId && input.recipientId !== calleeId)) throw notFound('Recipient not found');

  // Both users' call state is checked and changed under their locks (taken in sorted order,
  // so no deadlock): two calls placed at the same moment cannot both ring.
  const { inserted, state } = await ctx.db.transaction(async (tx) => {
    for (const id of [from.userId, calleeId].sort()) {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`call:${id}`]);
    }
    const busyIds = await inCall(ctx, tx, [from.userId, calleeId]);
    if (busyIds.has(from.userId)) throw new AppError('conflict', 'You are already in a call');
    const state: 'busy' | 'ringing' = busyIds.has(calleeId) ? 'busy' : 'ringing';
    const { rowCount } = await tx.query(
      `INSERT INTO calls (id, conversation_id, caller_id, media, state, ended_at, end_reason, offer)
       VALUES ($1, $2, $3, $4, $5::text, CASE WHEN $5::text = 'busy' THEN now() END, CASE WHEN $5::text = 'busy' THEN 'busy' END,
               CASE WHEN $5::text = 'ringing' THEN $6::jsonb END)
       ON CONFLICT (id) DO NOTHING`,
      [input.callId, input.conversationId, from.userId, input.media, state, JSON.stringify(input.offer ?? null)],
    );
    if (rowCount === 0) return { inserted: false, state };
    await tx.query(
      `INSERT INTO call_participants (call_id, user_id, role, socket_id, joined_at, left_at)
       VALUES ($1, $2, 'caller', $3, now(), $5::timestamptz), ($1, $4, 'callee', NULL, NULL, $5::timestamptz)`,
      [input.callId, from.userId, from.socketId, calleeId, state === 'busy' ? new Date() : null],
    );
    return { inserted: true, state };
  });
  if (!inserted) throw new AppError('conflict', 'This call_id is already in use');

  const caller: Participant = { user_id: from.userId, role: 'caller', socket_id: from.socketId };
  if (state === 'busy') {
    await postCallMessage(ctx, input.callId);
    notify(ctx, caller, { type: 'call_busy', payload: { call_id: input.callId } });
    return { state };
  }
  ctx.bus.publishToUsers([calleeId], {
    type: 'call_offer',
    payload: {
      call_id: input.callId,
      conversation_id: input.conversationId,
      caller_id: from.userId,
      media: input.media,
      offer: input.offer,
    },
  });
  notify(ctx, caller, { type: 'call_ringing', payload: { call_id: input.callId } });
  return { state };
}

/** The callee answers on one device: the caller gets the answer; the callee's other devices stop ringing. */
export async function answerCall(ctx: Ctx, from: Device, callId: string, answer: unknown): Promise<void> {
  const accepted = await ctx.db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE calls SET state = 'accepted', answered_at = now(), offer = NULL
        WHERE id = $1 AND state = 'ringing'
          AND EXISTS (SELECT 1 FROM call_participants WHERE call_id = $1 AND user_id = $2 AND role = 'callee')`,
      [callId, from.userId],
    );
    if (rowCount === 0) return false;
    await tx.query(
      'UPDATE call_participants SET socket_id = $3, joined_at = now() WHERE call_id = $1 AND user_id = $2',
      [callId, from.userId, from.socketId],
    );
    return true;
  });
  const participants = await participantsOf(ctx, callId);
  const me = participants.find((p) => p.user_id === from.userId);
  if (!me || me.role !== 'callee') throw callNotFound();
  if (!accepted) throw new AppError('conflict', 'The call is no longer ringing');
  for (const p of participants.filter((x) => x.role === 'caller')) {
    notify(ctx, p, { type: 'call_answer', payload: { call_id: callId, answer } });
  }
  ctx.bus.publishToUsers(
    [from.userId],
    { type: 'call_answered_elsewhere', payload: { call_id: callId } },
    { exceptSocket: from.socketId },
  );
}

/**
 * ICE, and the state of the microphone and camera (`call_media`), from a participant's active
 * device go to the other party's active device only.
 */
export async function relayToPeer(
  ctx: Ctx,
  from: Device,
  frame:
    | { type: 'ice_candidate'; payload: { call_id: string; candidate: unknown } }
    | { type: 'call_media'; payload: { call_id: string; muted: boolean; camera_off: boolean } },
): Promise<void> {
  const callId = frame.payload.call_id;
  const { rows } = await ctx.db.query<Participant & { state: CallState; away: boolean }>(
    `SELECT p.user_id, p.role, p.socket_id, c.state, p.away_since IS NOT NULL AS away
       FROM call_participants p JOIN calls c ON c.id = p.call_id
      WHERE p.call_id = $1`,
    [callId],
  );
  const me = rows.find((p) => p.user_id === from.userId && p.socket_id === from.socketId);
  if (!me || (me.state !== 'ringing' && me.state !== 'accepted')) throw callNotFound();
  const others = rows.filter((p) => p.user_id !== from.userId && p.socket_id);
  // The other side's device is away for a moment (decision 044): nothing to tell it now.
  if (others.length === 0 && rows.some((p) => p.user_id !== from.userId && p.away)) return;
  if (others.length === 0) throw badRequest('The other side has not answered yet');
  for (const p of others) notify(ctx, p, frame);
}

/**
 * Ends a call from one side: a ringing call is declined (callee) or cancelled (caller); an
 * accepted one ends. The other side hears of it and the call lands in the conversation.
 */
export async function endCall(
  ctx: Ctx,
  from: Device,
  callId: string,
  intent: 'decline' | 'cancel' | 'end',
  reason = 'hangup',
): Promise<void> {
  const participants = await participantsOf(ctx, callId);
  const me = participants.find((p) => p.user_id === from.userId);
  if (!me) throw callNotFound();
  const { rows } = await ctx.db.query<{ state: CallState }>(
    `UPDATE calls SET
       state = CASE WHEN state = 'accepted' THEN 'ended' WHEN $2 = 'callee' THEN 'declined' ELSE 'cancelled' END,
       end_reason = CASE WHEN state = 'accepted' THEN $3 WHEN $2 = 'callee' THEN 'declined' ELSE 'cancelled' END,
       ended_at = now(), offer = NULL
     WHERE id = $1 AND state IN ('ringing', 'accepted')
     RETURNING state`,
    [callId, me.role, reason],
  );
  const state = rows[0]?.state;
  if (!state) {
    if (intent === 'end') return; // already over: hanging up twice is fine
    throw new AppError('conflict', 'The call is already over');
  }
  await closeCall(ctx, callId);
  const others = participants.filter((p) => p.user_id !== from.userId);
  if (state === 'declined') {
    for (const p of others) notify(ctx, p, { type: 'call_decline', payload: { call_id: callId } }, true);
    ctx.bus.publishToUsers(
      [from.userId],
      { type: 'call_decline', payload: { call_id: callId } },
      { exceptSocket: from.socketId },
    );
  } else if (state === 'cancelled') {
    for (const p of others) notify(ctx, p, { type: 'call_cancel', payload: { call_id: callId } }, true);
  } else {
    for (const p of others) notify(ctx, p, { type: 'call_end', payload: { call_id: callId, reason } });
  }
}

/** No answer in time: both sides hear `call_missed`. Does nothing if the call moved on. */
export async function markMissed(ctx: Ctx, callId: string): Promise<boolean> {
  const { rowCount } = await ctx.db.query(
    `UPDATE calls SET state = 'missed', ended_at = now(), end_reason = 'no_answer', offer = NULL
      WHERE id = $1 AND state = 'ringing'`,
    [callId],
  );
  if (rowCount === 0) return false;
  await closeCall(ctx, callId);
  for (const p of await participantsOf(ctx, callId)) {
    notify(ctx, p, { type: 'call_missed', payload: { call_id: callId } }, true);
  }
  return true;
}

/** What a callee's device that missed a call's end hears of it: the frame its other devices heard. */
const ENDED_WHILE_OPENING: Partial<Record<CallState, 'call_answered_elsewhere' | 'call_decline' | 'call_missed'>> = {
  accepted: 'call_answered_elsewhere',
  declined: 'call_decline',
  missed: 'call_missed',
};

/**
 * A device of the user's has just opened its socket (registered, so it hears every frame sent
 * to the user from now on), or asks after a `resync` (`ringing_calls`: an offer may have been
 * lost between nodes): the calls ringing for the user ring on it too, as on the devices
 * that were online when the call was placed. A call that ends between the read and the offer
 * reaching this device would ring on it for ever, because its end was published before the
 * offer was sent; so the calls offered are read once more after the offers are sent, and the
 * device hears the end of any that is over by then (any later end reaches it after the offer).
 */
export async function ringNewDevice(ctx: Ctx, userId: string, send: (frame: ServerFrame) => void): Promise<void> {
  const { rows } = await ctx.db.query<
    Pick<CallRow, 'id' | 'conversation_id' | 'media'> & { caller_id: string; offer: unknown }
  >(
    `SELECT c.id, c.conversation_id, c.caller_id, c.media, c.offer
       FROM calls c JOIN call_participants p ON p.call_id = c.id AND p.user_id = $1 AND p.role = 'callee'
      WHERE c.state = 'ringing' AND c.started_at > now() - make_interval(secs => $2) AND c.offer IS NOT NULL
        AND c.caller_id IS NOT NULL`,
    [userId, ctx.config.CALL_RING_TIMEOUT_MS / 1000],
    // Run at every socket's open: planned once per connection.
    { name: 'ringing_calls_of' },
  );
  if (rows.length === 0) return;
  for (const c of rows) {
    send({
      type: 'call_offer',
      payload: {
        call_id: c.id,
        conversation_id: c.conversation_id,
        caller_id: c.caller_id,
        media: c.media,
        offer: c.offer,
      },
    });
  }
  const { rows: now } = await ctx.db.query<{ id: string; state: CallState }>(
    'SELECT id, state FROM calls WHERE id = ANY($1::uuid[])',
    [rows.map((c) => c.id)],
  );
  for (const c of now) {
    if (c.state === 'ringing') continue;
    send({ type: ENDED_WHILE_OPENING[c.state] ?? 'call_cancel', payload: { call_id: c.id } });
  }
}

const presentCall = (c: CallRow): Call => ({
  id: c.id,
  conversation_id: c.conversation_id,
  caller_id: c.caller_id,
  participants: c.participants,
  media: c.media,
  state: c.state,
  started_at: isoNow(c.started_at),
  answered_at: iso(c.answered_at),
  ended_at: iso(c.ended_at),
  end_reason: c.end_reason,
  duration_seconds:
    c.answered_at && c.ended_at
      ? Math.round((new Date(c.ended_at).getTime() - new Date(c.answered_at).getTime()) / 1000)
      : null,
});

const CALL_QUERY = `SELECT c.*, array_agg(p.user_id::text ORDER BY p.role) AS participants
   FROM calls c JOIN call_participants p ON p.call_id = c.id`;

/** The user's calls, newest first. */
export async function listCalls(ctx: Ctx, userId: string): Promise<Call[]> {
  const { rows } = await ctx.db.query<CallRow>(
    `${CALL_QUERY}
      WHERE c.id IN (SELECT call_id FROM call_participants WHERE user_id = $1)
      GROUP BY c.id ORDER BY c.started_at DESC LIMIT 100`,
    [userId],
  );
  return rows.map(presentCall);
}

/** A call that just ended: nobody is in it any more, and it lands in the conversation. */
export async function closeCall(ctx: Ctx, callId: string): Promise<void> {
  await ctx.db.query('UPDATE call_participants SET left_at = now() WHERE call_id = $1 AND left_at IS NULL', [callId]);
  await postCallMessage(ctx, callId);
}

/**
 * Puts the finished call into the conversation as a `call` message (once: its client_id is the
 * call's, with a colon no client's client_id may hold, so a client cannot send it first).
 */
async function postCallMessage(ctx: Ctx, callId: string): Promise<void> {
  const { rows } = await ctx.db.query<CallRow>(`${CALL_QUERY} WHERE c.id = $1 GROUP BY c.id`, [callId]);
  const call = rows[0];
  if (!call?.caller_id) return;
  const c = presentCall(call);
  let message: Message;
  try {
    ({ message } = await sendMessage(ctx, {
      senderId: call.caller_id,
      conversationId: call.conversation_id,
      content: JSON.stringify({
        call_id: c.id,
        media: c.media,
        state: c.state,
        duration_seconds: c.duration_seconds,
        started_at: c.started_at,
      }),
      messageType: 'call',
      clientId: `call:${callId}`,
    }));
  } catch (err) {
    return ctx.log.warn({ err, callId }, 'call message not stored');
  }
  // Not waited for: the hang-up reaches the other side meanwhile.
  void markReadByCallee(ctx, callId, message).catch((err: unknown) =>
    ctx.log.warn({ err, callId }, 'call message not marked read'),
  );
}

/**
 * Who answered took part: the call is no news to them, and no unread badge. (Read only when
 * nothing before it is unread: reading the call is not reading what came before.)
 */
async function markReadByCallee(ctx: Ctx, callId: string, message: Message) {
  const { rows } = await ctx.db.query<{ user_id: string }>(
    `SELECT p.user_id FROM call_participants p
       JOIN conversation_members m ON m.conversation_id = $2 AND m.user_id = p.user_id
      WHERE p.call_id = $1 AND p.role = 'callee' AND p.joined_at IS NOT NULL AND m.last_read_seq >= $3 - 1`,
    [callId, message.conversation_id, message.seq],
  );
  await Promise.all(rows.map((p) => advanceWatermark(ctx, p.user_id, message.conversation_id, message.seq, 'read')));
}
