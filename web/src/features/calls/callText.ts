/** How a stored call reads in the thread and the list: "Missed video call", "Voice call · 4:32". */
export function callText(content: string, mine: boolean): string {
  let c: { media?: string; state?: string; duration_seconds?: number | null };
  try {
    c = JSON.parse(content) as typeof c;
  } catch {
    return 'Call';
  }
  const kind = c.media === 'video' ? 'video call' : 'voice call';
  const Kind = kind[0]!.toUpperCase() + kind.slice(1);
  if (c.state === 'ended' && c.duration_seconds != null) {
    const s = c.duration_seconds;
    return `${Kind} · ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  if (c.state === 'missed') return mine ? `${Kind}, no answer` : `Missed ${kind}`;
  if (c.state === 'declined') return mine ? `${Kind} declined` : `Declined ${kind}`;
  // The one called never heard it ring: missed, as a phone says.
  if (c.state === 'busy') return mine ? `${Kind}, busy` : `Missed ${kind}`;
  if (c.state === 'cancelled') return mine ? `Cancelled ${kind}` : `Missed ${kind}`;
  return Kind;
}
