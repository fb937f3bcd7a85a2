import type { CallPhase } from '../../store/calls';

/** How a stored call reads in the thread and the list: "Missed video call", "Voice call · 4:32". */
export function callText(content: string, mine: boolean): string {
  let c: CallOutcome;
  try {
    c = JSON.parse(content) as CallOutcome;
  } catch {
    return 'Call';
  }
  return describeCall(c, mine);
}

/** What callText reads from a call: the `call` message's content, or a call from `GET /api/calls`. */
export interface CallOutcome {
  media?: string;
  state?: string;
  duration_seconds?: number | null;
  /** When it began (calls stored since session 39 say so). */
  started_at?: string;
}

/** callText of a call already parsed. */
export function describeCall(c: CallOutcome, mine: boolean): string {
  const kind = c.media === 'video' ? 'video call' : 'voice call';
  const Kind = kind[0]!.toUpperCase() + kind.slice(1);
  if (c.state === 'ended' && c.duration_seconds != null) {
    const s = c.duration_seconds;
    return `${Kind} · ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  if (isMissed(c, mine)) return `Missed ${kind}`;
  if (c.state === 'missed') return `${Kind}, no answer`;
  if (c.state === 'declined') return mine ? `${Kind} declined` : `Declined ${kind}`;
  if (c.state === 'busy') return `${Kind}, busy`;
  if (c.state === 'cancelled') return `Cancelled ${kind}`;
  return Kind;
}

/**
 * How a call reads in the Calls list: as in the thread, and whether it is still going on.
 * `live`: the phase of this device's own call when it is this one (newer than the list).
 */
export function listText(c: CallOutcome, mine: boolean, live: Exclude<CallPhase, 'ended'> | null): string {
  const text = describeCall(c, mine);
  if (live === 'ringing' || (!live && c.state === 'ringing')) return `${text}, ringing`;
  if (live || c.state === 'accepted') return `${text}, in progress`;
  return text;
}

/**
 * A call to me that I never picked up, not one I declined: no answer in time, the caller gave
 * up, or I was busy and never heard it ring. Phones show these in red.
 */
export function isMissed(c: CallOutcome, mine: boolean): boolean {
  return !mine && (c.state === 'missed' || c.state === 'cancelled' || c.state === 'busy');
}

/** When the call of a `call` message began (its content's `started_at`), else `fallback`. */
export function callStartedAt(content: string, fallback: string): string {
  try {
    const at = (JSON.parse(content) as CallOutcome).started_at;
    return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? at : fallback;
  } catch {
    return fallback;
  }
}

/** isMissed of a `call` message's content. */
export function callMissed(content: string, mine: boolean): boolean {
  try {
    return isMissed(JSON.parse(content) as CallOutcome, mine);
  } catch {
    return false;
  }
}
