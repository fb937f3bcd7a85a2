import type { Conversation } from '../../../../protocol/conversations.js';
import type { ReplyPreview } from '../../../../protocol/messages.js';
import { focusMessage } from '../../store/messages';
import { nameOf } from '../conversations/names';
import { snippetOf } from './snippet';

/** The quoted message inside a reply; a click jumps to it and makes it glow. */
export function ReplyQuote({ q, c, myId, own }: { q: ReplyPreview; c: Conversation; myId: string; own: boolean }) {
  const name = q.sender_id === myId ? 'You' : q.sender_id ? nameOf(c, q.sender_id) : 'Someone';
  return (
    <button
      type="button"
      data-testid="reply-quote"
      onClick={() => void focusMessage(c.id, q.seq).catch(() => {})}
      aria-label={`Reply to ${name}: ${snippetOf(q)}. Show the original message`}
      className={`mb-1 block w-full min-w-0 rounded-lg border-l-4 px-2 py-1 text-left text-[13px] ${
        own
          ? 'border-white/70 bg-white/15 hover:bg-white/20'
          : 'border-accent bg-neutral-100 hover:bg-neutral-200/70 dark:border-teal-400 dark:bg-neutral-700/60 dark:hover:bg-neutral-700'
      }`}
    >
      <span className={`block truncate font-semibold ${own ? 'text-white' : 'text-accent dark:text-teal-300'}`}>
        {name}
      </span>
      <span className={`block truncate ${q.deleted ? 'italic opacity-80' : ''}`}>
        <bdi>{snippetOf(q)}</bdi>
      </span>
    </button>
  );
}
