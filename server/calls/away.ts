import type { Ctx } from '../context.js';
import { AppError } from '../errors.js';
import { callNotFound, closeCall, endCall, notify, participantsOf, type CallState, type Device } from './service.js';

/*
 * Devices that drop out of a call and come back (decision 044): a call being placed is
 * cancelled with its caller's socket; an answered one waits CALL_REJOIN_MS for the device.
 */

/**
 * A device went away: a call it was placing is cancelled; a call it was in waits
 * CALL_REJOIN_MS for it to come back (`call_rejoin`, decision 044), then ends.
 */
export async function deviceGone(ctx: Ctx, device: Device): Promise<void> {
  const { rows } = await ctx.db.query<{ call_id: string; state: CallState }>(
    `SELECT p.call_id, c.state FROM call_participants p JOIN calls c ON c.id = p.call_id
      WHERE p.user_id = $1 AND p.socket_id = $2 AND c.state IN ('ringing', 'accepted')`,
    [device.userId, device.socketId],
  );
  for (const r of rows) {
    if (r.state === 'accepted') {
      await stepAway(ctx, device, r.call_id);
      continue;
    }
    await endCall(ctx, device, r.call_id, 'cancel', 'disconnected').catch((err) =>
      ctx.log.warn({ err, callId: r.call_id }, 'call of a closed socket not cancelled'),
    );
  }
}

/** The device's socket left an accepted call: it is away, and the call ends unless it comes back. */
async function stepAway(ctx: Ctx, device: Device, callId: string) {
  const { rowCount } = await ctx.db.query(
    `UPDATE call_participants SET socket_id = NULL, away_since = now()
      WHERE call_id = $1 AND user_id = $2 AND socket_id = $3`,
    [callId, device.userId, device.socketId],
  );
  if (!rowCount) return; // back already, on another socket
  setTimeout(() => {
    endAbandoned(ctx, callId).catch((err) => ctx.log.error({ err, callId }, 'abandoned call not ended'));
  }, ctx.config.CALL_REJOIN_MS + 50).unref();
}

/**
 * Ends the accepted calls (one, or any: the sweep, for a node that died meanwhile) that a
 * participant has been away from for CALL_REJOIN_MS. The end is one guarded statement, so a
 * device that came back meanwhile keeps its call; every device of both sides hears `call_end`
 * ("disconnected"), the one that was away included, and the call lands in the conversation.
 */
export async function endAbandoned(ctx: Ctx, callId: string | null = null): Promise<void> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `UPDATE calls c SET state = 'ended', end_reason = 'disconnected', ended_at = now(), offer = NULL
      WHERE c.state = 'accepted' AND ($1::uuid IS NULL OR c.id = $1::uuid)
        AND EXISTS (SELECT 1 FROM call_participants p
                     WHERE p.call_id = c.id AND p.socket_id IS NULL AND p.left_at IS NULL
                       AND p.away_since <= now() - make_interval(secs => $2))
      RETURNING c.id`,
    [callId, ctx.config.CALL_REJOIN_MS / 1000],
  );
  for (const { id } of rows) {
    await closeCall(ctx, id);
    for (const p of await participantsOf(ctx, id)) {
      notify(ctx, p, { type: 'call_end', payload: { call_id: id, reason: 'disconnected' } }, true);
    }
  }
}

/** A device of a participant whose socket dropped is back: the call's frames reach it again. */
export async function rejoinCall(ctx: Ctx, device: Device, callId: string): Promise<void> {
  if (!(await participantsOf(ctx, callId)).some((p) => p.user_id === device.userId)) throw callNotFound();
  const { rowCount } = await ctx.db.query(
    `UPDATE call_participants p SET socket_id = $3, away_since = NULL FROM calls c
      WHERE p.call_id = $1 AND p.user_id = $2 AND c.id = p.call_id AND c.state = 'accepted' AND p.left_at IS NULL`,
    [callId, device.userId, device.socketId],
  );
  if (!rowCount) throw new AppError('conflict', 'The call is over');
}
