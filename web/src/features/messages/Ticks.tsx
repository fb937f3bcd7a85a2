import type { Member } from '../../../../protocol/conversations.js';
import { ClockIcon, TickIcon } from '../../components/Icons';

export type TickState = 'sending' | 'sent' | 'delivered' | 'read';

/** One tick = stored; two = every other member has it; two coloured = every other member read it. */
export function tickState(seq: number, members: Member[], myId: string): { state: TickState; readBy: string[] } {
  const others = members.filter((m) => m.id !== myId);
  const readBy = others.filter((m) => m.read_seq >= seq).map((m) => m.display_name);
  if (others.length === 0) return { state: 'sent', readBy };
  if (others.every((m) => m.read_seq >= seq)) return { state: 'read', readBy };
  if (others.every((m) => m.delivered_seq >= seq)) return { state: 'delivered', readBy };
  return { state: 'sent', readBy };
}

const LABEL: Record<TickState, string> = { sending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read' };

export function Ticks({ state, readBy, isGroup }: { state: TickState; readBy?: string[]; isGroup?: boolean }) {
  const title = isGroup && readBy?.length ? `Read by ${readBy.join(', ')}` : LABEL[state];
  return (
    <span
      data-testid="ticks"
      data-state={state}
      title={title}
      aria-label={title}
      className={state === 'read' ? 'text-sky-300' : 'opacity-80'}
    >
      {state === 'sending' ? <ClockIcon /> : <TickIcon double={state !== 'sent'} />}
    </span>
  );
}
