import type { Conversation } from '../../../../protocol/conversations.js';
import { Avatar } from '../../components/Avatar';
import { listTime } from '../../components/format';
import { useStore } from '../../store/store';
import { presence, typingUsers } from '../../store/presence';
import { unreadCount } from '../../store/conversations';
import { drafts } from '../../store/drafts';
import { nameOf, peerOf, titleOf, typingText } from './names';
import { snippetOf } from '../messages/snippet';
import { eventText } from './groupEvents';
import { callMissed } from '../calls/callText';

export function ConversationItem({
  c,
  myId,
  active,
  onOpen,
}: {
  c: Conversation;
  myId: string;
  active: boolean;
  onOpen: () => void;
}) {
  const peer = peerOf(c, myId);
  const online = useStore(presence, (s) => (peer ? !!s.online[peer.id] : false));
  const typing = useStore(presence, (s) =>
    typingText(
      c,
      typingUsers(s, c.id).filter((id) => id !== myId),
    ),
  );
  // What I typed here and did not send (not shown for the open chat: its composer shows it).
  const draft = useStore(drafts, (s) => (active ? '' : (s[c.id] ?? '').trim()));
  const unread = unreadCount(c, myId);
  const title = titleOf(c, myId);
  const last = c.last_message;
  const prefix = last
    ? last.sender_id === myId
      ? 'You: '
      : c.type === 'group'
        ? `${nameOf(c, last.sender_id)}: `
        : ''
    : '';
  // A call to me that I never picked up reads in red, as on the Calls page and on phones.
  const missedCall =
    last?.message_type === 'call' && !typing && !draft && callMissed(last.content, last.sender_id === myId);
  return (
    <li>
      <button
        onClick={onOpen}
        aria-current={active ? 'true' : undefined}
        aria-label={`${title}${unread ? `, ${unread} unread` : ''}${draft ? ', draft' : ''}`}
        className={`flex w-full items-center gap-3 px-3 py-2.5 text-left transition-colors ${
          active ? 'bg-accent-soft/70 dark:bg-teal-900/40' : 'hover:bg-neutral-100 dark:hover:bg-neutral-800/60'
        }`}
      >
        <Avatar id={c.type === 'group' ? c.id : (peer?.id ?? c.id)} name={title} online={online} />
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline justify-between gap-2">
            <span className={`truncate ${unread ? 'font-bold' : 'font-medium'}`}>{title}</span>
            <span
              className={`shrink-0 text-xs ${unread ? 'font-semibold text-accent dark:text-teal-400' : 'text-neutral-600 dark:text-neutral-400'}`}
            >
              {listTime(c.last_activity_at)}
            </span>
          </span>
          <span className="flex items-center justify-between gap-2">
            {typing ? (
              <span className="truncate text-sm text-accent dark:text-teal-400">{typing}</span>
            ) : draft ? (
              <span className="truncate text-sm text-neutral-600 dark:text-neutral-400" data-testid="preview">
                <span className="font-medium text-accent dark:text-teal-400">Draft:</span> <bdi>{draft}</bdi>
              </span>
            ) : (
              <span
                className={`truncate text-sm ${missedCall ? 'text-red-600 dark:text-red-400' : 'text-neutral-600 dark:text-neutral-400'}`}
                data-testid="preview"
              >
                {last ? (
                  last.message_type === 'call' ? (
                    snippetOf({ ...last, mine: last.sender_id === myId })
                  ) : last.message_type === 'event' ? (
                    eventText(last.content, last.sender_id, myId, (id) => nameOf(c, id))
                  ) : last.deleted_at ? (
                    last.sender_id === myId ? (
                      'You deleted this message'
                    ) : (
                      'This message was deleted'
                    )
                  ) : (
                    <>
                      {prefix}
                      <bdi>{snippetOf(last)}</bdi>
                    </>
                  )
                ) : c.type === 'group' ? (
                  'Group created'
                ) : (
                  'Say hello 👋'
                )}
              </span>
            )}
            {unread > 0 && (
              <span
                data-testid="unread"
                className="shrink-0 rounded-full bg-accent px-1.5 py-0.5 text-xs font-semibold text-white min-w-5 text-center"
              >
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}
