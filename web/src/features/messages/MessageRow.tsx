import type { Conversation } from '../../../../protocol/conversations.js';
import type { Message } from '../../../../protocol/messages.js';
import type { Pending } from '../../store/messages';
import { discardMessage, retryMessage } from '../../store/messages';
import { Avatar } from '../../components/Avatar';
import { Linkified } from '../../components/Linkified';
import { clock, dayLabel } from '../../components/format';
import { nameOf } from '../conversations/names';
import { Ticks, tickState } from './Ticks';
import { callText } from '../calls/callText';

export type Row = { kind: 'message'; m: Message } | { kind: 'pending'; p: Pending };

const senderOf = (r: Row, myId: string) => (r.kind === 'message' ? r.m.sender_id : myId);
const timeOf = (r: Row) => (r.kind === 'message' ? r.m.created_at : r.p.created_at);

export function MessageRow({
  row,
  prev,
  c,
  myId,
  firstUnreadSeq,
  highlighted = false,
}: {
  row: Row;
  prev?: Row;
  c: Conversation;
  myId: string;
  firstUnreadSeq: number | null;
  /** Just opened from search: a ring that fades. */
  highlighted?: boolean;
}) {
  const sender = senderOf(row, myId);
  const own = sender === myId;
  const time = timeOf(row);
  const newDay = !prev || dayLabel(timeOf(prev)) !== dayLabel(time);
  const grouped = !newDay && prev && senderOf(prev, myId) === sender;
  const isGroup = c.type === 'group';
  const showUnreadDivider = row.kind === 'message' && row.m.seq === firstUnreadSeq && !own;
  const content = row.kind === 'message' ? row.m.content : row.p.content;
  const isCall = row.kind === 'message' && row.m.message_type === 'call';

  return (
    <div className="px-3 sm:px-6" data-testid="message-row">
      {newDay && (
        <div className="my-3 flex justify-center">
          <span className="rounded-full bg-white/90 px-3 py-0.5 text-xs font-medium text-neutral-600 shadow-sm dark:bg-neutral-800 dark:text-neutral-300">
            {dayLabel(time)}
          </span>
        </div>
      )}
      {showUnreadDivider && (
        <div
          className="my-2 flex items-center gap-2 text-xs font-semibold text-accent dark:text-teal-400"
          role="separator"
        >
          <span className="h-px flex-1 bg-accent/40" /> New messages <span className="h-px flex-1 bg-accent/40" />
        </div>
      )}
      {isCall ? (
        <div className="my-2 flex justify-center">
          <span
            data-testid="call-event"
            className="rounded-full bg-white/90 px-3 py-1 text-[13px] text-neutral-700 shadow-sm dark:bg-neutral-800 dark:text-neutral-200"
          >
            {callText(content, own)} · {clock(time)}
          </span>
        </div>
      ) : (
        <div className={`flex items-end gap-2 ${own ? 'justify-end' : 'justify-start'} ${grouped ? 'mt-0.5' : 'mt-2'}`}>
          {!own && isGroup && (
            <span className="w-8 shrink-0">
              {!grouped && <Avatar id={sender} name={nameOf(c, sender)} size={32} />}
            </span>
          )}
          <div
            data-testid={own ? 'own-message' : 'their-message'}
            data-highlighted={highlighted || undefined}
            className={`animate-slide-in relative ring-amber-400 transition-[box-shadow] duration-700 ${highlighted ? 'ring-4' : 'ring-0'} max-w-[78%] rounded-2xl px-3 py-1.5 shadow-sm sm:max-w-[65%] ${
              own
                ? 'rounded-br-md bg-accent text-white'
                : 'rounded-bl-md bg-white text-neutral-900 dark:bg-neutral-800 dark:text-neutral-100'
            }`}
          >
            {!own && isGroup && !grouped && (
              <div className="text-[13px] font-semibold text-accent dark:text-teal-400">{nameOf(c, sender)}</div>
            )}
            <span className="break-words whitespace-pre-wrap" data-testid="message-text">
              <Linkified text={content} />
            </span>
            <span
              className={`float-right mt-1.5 ml-2 inline-flex items-center gap-1 text-[11px] leading-none ${own ? 'text-white/80' : 'text-neutral-500'}`}
            >
              {clock(time)}
              {own && row.kind === 'message' && <Ticks {...tickState(row.m.seq, c.members, myId)} isGroup={isGroup} />}
              {own && row.kind === 'pending' && row.p.status === 'sending' && <Ticks state="sending" />}
            </span>
            {row.kind === 'pending' && row.p.status === 'failed' && (
              <div className="mt-1 flex gap-3 text-[13px] font-semibold" role="alert">
                <span>Not sent{row.p.error ? `: ${row.p.error}` : ''}</span>
                <button className="underline" onClick={() => retryMessage(row.p.client_id)}>
                  Retry
                </button>
                <button className="underline opacity-80" onClick={() => discardMessage(row.p.client_id)}>
                  Delete
                </button>
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
