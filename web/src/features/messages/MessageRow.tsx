import type { MouseEvent } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { isSystemMessage, type Message } from '../../../../protocol/messages.js';
import type { Pending } from '../../store/messages';
import { discardMessage, retryMessage } from '../../store/outbox';
import { Avatar } from '../../components/Avatar';
import { BanIcon, MenuIcon } from '../../components/Icons';
import { clock, dayLabel } from '../../components/format';
import { nameOf } from '../conversations/names';
import { Ticks, tickState } from './Ticks';
import { callStartedAt, callText } from '../calls/callText';
import { eventText } from '../conversations/groupEvents';
import { BubbleBody } from './BubbleBody';
import { Reactions } from './Reactions';
import { openOverlay } from './overlays';

export type Row = { kind: 'message'; m: Message } | { kind: 'pending'; p: Pending };

const senderOf = (r: Row, myId: string) => (r.kind === 'message' ? r.m.sender_id : myId);
const timeOf = (r: Row) => (r.kind === 'message' ? r.m.created_at : r.p.created_at);
const isSystemRow = (r: Row) => r.kind === 'message' && isSystemMessage(r.m.message_type);
const coarse = () => window.matchMedia('(pointer: coarse)').matches;

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
  /** Just opened from search or a quote: a ring that fades. */
  highlighted?: boolean;
}) {
  const sender = senderOf(row, myId);
  const own = sender === myId;
  const time = timeOf(row);
  const newDay = !prev || dayLabel(timeOf(prev)) !== dayLabel(time);
  // After a centred line (a call, a group event) the sender's name and avatar show again.
  const grouped = !newDay && prev && !isSystemRow(prev) && senderOf(prev, myId) === sender;
  const isGroup = c.type === 'group';
  const showUnreadDivider = row.kind === 'message' && row.m.seq === firstUnreadSeq && !own;
  const m = row.kind === 'message' ? row.m : null;
  const isCall = m?.message_type === 'call';
  const isEvent = m?.message_type === 'event';
  const deleted = !!m?.deleted_at;
  // Stored, live messages have actions; tombstones, calls, group events and unsent ones do not.
  const actionable = m !== null && !deleted && !isSystemRow(row);

  function openMenu(anchor: HTMLElement) {
    if (m)
      openOverlay({ kind: 'menu', message: m, own, anchor: anchor.closest<HTMLElement>('[data-bubble]') ?? anchor });
  }
  // On touch screens a tap (or a long press) on the bubble opens its actions, as in mobile messengers.
  const isControl = (e: MouseEvent) => !!(e.target as HTMLElement).closest('a, button, img, [role="menu"]');
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    if (actionable && coarse() && !isControl(e) && !window.getSelection()?.toString()) openMenu(e.currentTarget);
  };
  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    if (!actionable || !coarse() || isControl(e)) return;
    e.preventDefault();
    openMenu(e.currentTarget);
  };

  const meta = (
    <>
      {m?.edited_at && !deleted && <span data-testid="edited">edited</span>}
      {clock(time)}
      {own && m && !deleted && <Ticks {...tickState(m.seq, c.members, myId)} isGroup={isGroup} />}
      {own && row.kind === 'pending' && row.p.status === 'sending' && <Ticks state="sending" />}
    </>
  );

  return (
    // flow-root: the children's margins stay inside the row, so the list measures its real height.
    <div className="flow-root px-3 sm:px-6" data-testid="message-row" data-seq={m?.seq}>
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
            {callText(m.content, own)} · {clock(callStartedAt(m.content, time))}
          </span>
        </div>
      ) : isEvent ? (
        <div className="my-2 flex justify-center">
          <span
            data-testid="group-event"
            className="max-w-[85%] rounded-full bg-white/90 px-3 py-1 text-center text-[13px] text-neutral-700 shadow-sm dark:bg-neutral-800 dark:text-neutral-200"
          >
            {eventText(m.content, m.sender_id, myId, (id) => nameOf(c, id))}
          </span>
        </div>
      ) : (
        <div className={`flex items-end gap-2 ${own ? 'justify-end' : 'justify-start'} ${grouped ? 'mt-0.5' : 'mt-2'}`}>
          {!own && isGroup && (
            <span className="w-8 shrink-0 self-start">
              {!grouped && <Avatar id={sender} name={nameOf(c, sender)} size={32} />}
            </span>
          )}
          <div
            className={`group/msg relative flex max-w-[78%] min-w-0 flex-col sm:max-w-[65%] ${own ? 'items-end' : 'items-start'}`}
          >
            <div
              data-bubble
              data-testid={own ? 'own-message' : 'their-message'}
              data-highlighted={highlighted || undefined}
              data-deleted={deleted || undefined}
              onClick={onClick}
              onContextMenu={onContextMenu}
              className={`animate-slide-in relative max-w-full min-w-0 rounded-2xl shadow-sm ring-amber-400 transition-[box-shadow] duration-700 ${highlighted ? 'ring-4' : 'ring-0'} ${
                deleted
                  ? `border border-neutral-300 bg-white/80 px-3 py-1.5 text-neutral-600 dark:border-neutral-700 dark:bg-neutral-900 dark:text-neutral-400 ${own ? 'rounded-br-md' : 'rounded-bl-md'}`
                  : own
                    ? 'rounded-br-md bg-accent text-white'
                    : 'rounded-bl-md bg-white text-neutral-900 dark:bg-neutral-800 dark:text-neutral-100'
              }`}
            >
              {!own && isGroup && !grouped && (
                <div
                  data-testid="sender-name"
                  className={`text-[13px] font-semibold text-accent dark:text-teal-400 ${deleted ? '' : 'px-3 pt-1.5'}`}
                >
                  {nameOf(c, sender)}
                </div>
              )}
              {deleted ? (
                <>
                  <span className="italic" data-testid="tombstone">
                    <span className="mr-1.5 inline-block align-[-2px]">
                      <BanIcon />
                    </span>
                    This message was deleted
                  </span>
                  <span className="float-right mt-1.5 ml-2 text-[11px] leading-none whitespace-nowrap">
                    {clock(time)}
                  </span>
                </>
              ) : (
                <BubbleBody
                  c={c}
                  myId={myId}
                  own={own}
                  content={m ? m.content : row.kind === 'pending' ? row.p.content : ''}
                  attachment={m ? m.attachment : row.kind === 'pending' ? row.p.attachment : null}
                  replyTo={m ? m.reply_to : row.kind === 'pending' ? row.p.reply_to : null}
                  meta={meta}
                  hasName={!own && isGroup && !grouped}
                />
              )}
              {row.kind === 'pending' && row.p.status === 'failed' && (
                <div className="flex gap-3 px-3 pb-1.5 text-[13px] font-semibold" role="alert">
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
            {m && !deleted && <Reactions m={m} c={c} myId={myId} own={own} />}
            {actionable && (
              <button
                type="button"
                aria-label="Message actions"
                aria-haspopup="menu"
                onClick={(e) => openMenu(e.currentTarget.parentElement!.querySelector('[data-bubble]') as HTMLElement)}
                className={`absolute top-1 ${own ? 'right-full mr-1' : 'left-full ml-1'} flex h-8 w-8 items-center justify-center rounded-full bg-white/90 text-neutral-600 opacity-0 shadow-sm transition-opacity group-hover/msg:opacity-100 hover:bg-white focus-visible:opacity-100 dark:hover:bg-neutral-700 pointer-coarse:group-hover/msg:opacity-0 pointer-coarse:focus-visible:opacity-100 dark:bg-neutral-800/90 dark:text-neutral-300`}
              >
                <MenuIcon />
              </button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
