import { useEffect, useLayoutEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { hasText, toWellFormed } from '../../../../protocol/text.js';
import { isSystemMessage } from '../../../../protocol/messages.js';
import { CheckIcon, PaperclipIcon, SendIcon } from '../../components/Icons';
import { messages, previewOf } from '../../store/messages';
import { queueMessage } from '../../store/outbox';
import { sendTyping } from '../../store/chat';
import { canEdit, editMessage } from '../../store/actions';
import { compose, editTextOf, keepEditText, setIntent, stageFiles, takeReady, type Staged } from '../../store/compose';
import { showToast } from '../../store/toast';
import { draftOf, setDraft } from '../../store/drafts';
import { useStore } from '../../store/store';
import { api } from '../../api/rest';
import { ComposerBars } from './ComposerBars';
import { EmojiPicker } from './EmojiPicker';

const coarse = () => window.matchMedia('(pointer: coarse)').matches;
const NONE: Staged[] = [];

/**
 * Auto-growing composer; Enter sends and Shift+Enter breaks the line (on phones the button
 * sends). It also edits (↑ in an empty composer edits my last message), replies, and sends
 * files (attach button, paste, or a drop on the conversation) with the text as caption.
 */
export function Composer({ c, myId }: { c: Conversation; myId: string }) {
  const conversationId = c.id;
  const [text, setText] = useState(() => draftOf(conversationId));
  const [saving, setSaving] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const intent = useStore(compose, (s) => s.intents[conversationId]);
  const staged = useStore(compose, (s) => s.staged[conversationId]) ?? NONE;
  const editing = intent?.kind === 'edit' ? intent.message : null;

  // (The text of another conversation is set below, with the edit it may be in.)
  useEffect(() => {
    if (!coarse()) ref.current?.focus();
  }, [conversationId]);

  // Entering an edit puts the message's text in the box; leaving it brings the draft back.
  // Before the browser paints: a keystroke in between would otherwise land on the other text
  // (and the edited text, typed into while not editing, would be saved as the draft).
  const intentKey = intent ? `${intent.kind}:${intent.message.id}` : '';
  useLayoutEffect(() => {
    setText(editing ? (editTextOf(conversationId) ?? editing.content) : draftOf(conversationId));
    if (intentKey) {
      ref.current?.focus();
      if (editing) requestAnimationFrame(() => ref.current?.setSelectionRange(1e6, 1e6));
    }
    // `editing` follows from `intentKey`.
  }, [intentKey, conversationId]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 6 * 22 + 20)}px`;
  }, [text]);

  function update(value: string) {
    setText(value);
    if (editing) return void keepEditText(conversationId, value);
    setDraft(conversationId, value);
    sendTyping(conversationId, value.trim().length > 0);
  }

  const uploading = staged.some((x) => x.status === 'uploading');
  const ready = staged.filter((x) => x.status === 'ready').length;
  const tooLong = text.length > LIMITS.contentMax;
  const canSend = editing ? hasText(text) && !saving : !uploading && (ready > 0 || hasText(text));

  async function saveEdit() {
    if (!editing) return;
    const content = toWellFormed(text.trim());
    if (!hasText(content) || tooLong || saving) return;
    if (content === editing.content) return setIntent(conversationId, null);
    setSaving(true);
    try {
      await editMessage(editing, content);
      setIntent(conversationId, null);
    } catch (err) {
      showToast(`Could not save the edit: ${(err as Error).message}`);
    } finally {
      setSaving(false);
    }
  }

  function send() {
    if (editing) return void saveEdit();
    // (Half an emoji left by an edit of the text would be refused by the server: sent as �.)
    const content = toWellFormed(text.trim());
    if (!canSend || tooLong || !api.user) return;
    const replyTo = intent?.kind === 'reply' ? previewOf(intent.message) : null;
    const files = takeReady(conversationId);
    if (files.length === 0) queueMessage(api.user.id, conversationId, content, { replyTo });
    files.forEach((attachment, i) =>
      queueMessage(api.user!.id, conversationId, i === 0 ? content : '', {
        attachment,
        replyTo: i === 0 ? replyTo : null,
      }),
    );
    if (intent) setIntent(conversationId, null);
    update('');
    sendTyping(conversationId, false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && !coarse()) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && intent) {
      e.preventDefault();
      setIntent(conversationId, null);
    } else if (e.key === 'ArrowUp' && !text && !intent && staged.length === 0) {
      // ↑ in an empty composer edits my last message, as in the desktop messengers.
      const items = messages.get().threads[conversationId]?.items ?? [];
      const last = [...items].reverse().find((m) => m.sender_id === myId && !isSystemMessage(m.message_type));
      if (last && canEdit(last, myId)) {
        e.preventDefault();
        setIntent(conversationId, { kind: 'edit', message: last });
      }
    }
  }

  /** Puts an emoji from the picker where the cursor is (in place of a selection), and the cursor after it. */
  function insert(emoji: string) {
    const el = ref.current;
    const [from, to] = el ? [el.selectionStart, el.selectionEnd] : [text.length, text.length];
    update(text.slice(0, from) + emoji + text.slice(to));
    const at = from + emoji.length;
    requestAnimationFrame(() => {
      // On a phone the panel stands in for the keyboard: the text box is not focused (which would open it).
      if (!coarse()) el?.focus();
      el?.setSelectionRange(at, at);
    });
  }

  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const images = [...e.clipboardData.files].filter((f) => f.type.startsWith('image/'));
    if (images.length === 0) return;
    e.preventDefault();
    stageFiles(conversationId, images);
  }

  return (
    <div className="border-t border-neutral-200 bg-white dark:border-neutral-800 dark:bg-neutral-900">
      <ComposerBars c={c} myId={myId} intent={intent} staged={staged} />
      <form
        className="flex items-end gap-1.5 px-2 py-2 sm:gap-2 sm:px-3"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {!editing && (
          <>
            <button
              type="button"
              aria-label="Attach files"
              title="Attach files"
              onClick={() => fileInput.current?.click()}
              className="flex h-11 w-10 shrink-0 items-center justify-center rounded-full text-neutral-600 hover:bg-neutral-100 dark:text-neutral-300 dark:hover:bg-neutral-800"
            >
              <PaperclipIcon />
            </button>
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              data-testid="file-input"
              onChange={(e) => {
                stageFiles(conversationId, [...(e.target.files ?? [])]);
                e.target.value = '';
              }}
            />
          </>
        )}
        <EmojiPicker onPick={insert} />
        <label className="min-w-0 flex-1">
          <span className="sr-only">Message</span>
          <textarea
            ref={ref}
            aria-label="Message"
            dir="auto"
            rows={1}
            value={text}
            placeholder={editing ? 'Edit message' : staged.length ? 'Add a caption' : 'Message'}
            onChange={(e) => update(e.target.value)}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
            onBlur={() => sendTyping(conversationId, false)}
            className="block max-h-40 w-full resize-none rounded-2xl bg-neutral-100 px-4 py-2.5 text-[15px] leading-[22px] outline-none focus:ring-2 focus:ring-accent/40 dark:bg-neutral-800"
          />
          {tooLong && (
            <span className="px-2 text-xs text-red-600">{text.length - LIMITS.contentMax} characters too long</span>
          )}
        </label>
        <button
          type="submit"
          aria-label={editing ? 'Save' : 'Send'}
          title={uploading ? 'Waiting for the upload to finish' : undefined}
          disabled={!canSend || tooLong}
          className="flex h-11 w-11 shrink-0 items-center justify-center rounded-full bg-accent text-white hover:bg-accent-strong disabled:bg-neutral-300 disabled:text-neutral-500 dark:disabled:bg-neutral-700"
        >
          {editing ? <CheckIcon /> : <SendIcon />}
        </button>
      </form>
    </div>
  );
}
