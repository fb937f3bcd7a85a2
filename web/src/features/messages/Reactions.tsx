import type { Conversation } from '../../../../protocol/conversations.js';
import type { Message } from '../../../../protocol/messages.js';
import { toggleReaction } from '../../store/actions';
import { nameOf } from '../conversations/names';
import { showToast } from '../../store/toast';

/** The emojis offered in a message's menu. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

const who = (c: Conversation, ids: string[], myId: string) =>
  ids.map((id) => (id === myId ? 'You' : nameOf(c, id))).join(', ');

export function react(m: Message, emoji: string, myId: string) {
  toggleReaction(m, emoji, myId).catch((err: Error) => showToast(`Could not react: ${err.message}`));
}

/** Chips under a bubble: emoji and count, marked when I reacted; a click toggles my reaction. */
export function Reactions({ m, c, myId, own }: { m: Message; c: Conversation; myId: string; own: boolean }) {
  if (m.reactions.length === 0) return null;
  return (
    <div
      className={`relative z-[1] mt-1 mb-0.5 flex flex-wrap gap-1 px-2 ${own ? 'justify-end' : 'justify-start'}`}
      data-testid="reactions"
    >
      {m.reactions.map((r) => {
        const mine = r.user_ids.includes(myId);
        const names = who(c, r.user_ids, myId);
        return (
          <button
            key={r.emoji}
            type="button"
            aria-pressed={mine}
            title={names}
            aria-label={`${r.emoji} ${r.count}: ${names}. ${mine ? 'Remove your reaction' : 'React with ' + r.emoji}`}
            data-testid="reaction-chip"
            onClick={() => react(m, r.emoji, myId)}
            className={`flex h-7 items-center gap-1 rounded-full border px-2 text-sm leading-none shadow-sm ${
              mine
                ? 'border-accent/60 bg-accent-soft text-accent-strong dark:border-teal-400/60 dark:bg-teal-900 dark:text-teal-100'
                : 'border-neutral-200 bg-white text-neutral-700 hover:bg-neutral-50 dark:border-neutral-700 dark:bg-neutral-800 dark:text-neutral-200'
            }`}
          >
            <span aria-hidden="true">{r.emoji}</span>
            <span className="text-xs font-semibold tabular-nums" data-testid="reaction-count">
              {r.count}
            </span>
          </button>
        );
      })}
    </div>
  );
}
