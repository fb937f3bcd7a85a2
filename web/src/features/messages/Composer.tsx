import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { SendIcon } from '../../components/Icons';
import { queueMessage } from '../../store/messages';
import { sendTyping } from '../../store/chat';
import { api } from '../../api/rest';

const drafts = new Map<string, string>(
  Object.entries(JSON.parse(localStorage.getItem('chatify.drafts') ?? '{}') as Record<string, string>),
);
const saveDrafts = () => localStorage.setItem('chatify.drafts', JSON.stringify(Object.fromEntries(drafts)));
const coarse = () => window.matchMedia('(pointer: coarse)').matches;

/** Auto-growing composer; Enter sends and Shift+Enter breaks the line (on phones the button sends). */
export function Composer({ conversationId }: { conversationId: string }) {
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    setText(drafts.get(conversationId) ?? '');
    if (!coarse()) ref.current?.focus();
  }, [conversationId]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 6 * 22 + 20)}px`;
  }, [text]);

  function update(value: string) {
    setText(value);
    if (value) drafts.set(conversationId, value);
    else drafts.delete(conversationId);
    saveDrafts();
    sendTyping(conversationId, value.trim().length > 0);
  }

  function send() {
    const content = text.trim();
    if (!content || content.length > LIMITS.contentMax) return;
    if (!api.user) return;
    queueMessage(api.user.id, conversationId, content);
    update('');
    sendTyping(conversationId, false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && !coarse()) {
      e.preventDefault();
      send();
    }
  }

  const tooLong = text.length > LIMITS.contentMax;
  return (
    <form
      className="flex items-end gap-2 border-t border-neutral-200 bg-white px-3 py-2 dark:border-neutral-800 dark:bg-neutral-900"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label className="min-w-0 flex-1">
        <span className="sr-only">Message</span>
        <textarea
          ref={ref}
          aria-label="Message"
          rows={1}
          value={text}
          placeholder="Message"
          onChange={(e) => update(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => sendTyping(conversationId, false)}
          className="block max-h-40 w-full resize-none rounded-2xl bg-neutral-100 px-4 py-2.5 text-[15px] leading-[22px] outline-none focus:ring-2 focus:ring-accent/40 dark:bg-neutral-800"
        />
        {tooLong && (
          <span className="px-2 text-xs text-red-600">{text.length - LIMITS.contentMax} characters too long</span>
        )}
      </label>
      <button
        type="submit"
        aria-label="Send"
        disabled={!text.trim() || tooLong}
        className="flex h-11 w-11 shrink-0 items-center justify-center rounded-full bg-accent text-white hover:bg-accent-strong disabled:bg-neutral-300 disabled:text-neutral-500 dark:disabled:bg-neutral-700"
      >
        <SendIcon />
      </button>
    </form>
  );
}
