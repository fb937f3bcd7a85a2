import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type ReactNode,
} from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import type { Message } from '../../../../protocol/messages.js';
import { Dialog } from '../../components/Dialog';
import { CopyIcon, PencilIcon, ReplyIcon, TrashIcon } from '../../components/Icons';
import { canDelete, canEdit, deleteMessage } from '../../store/actions';
import { setIntent } from '../../store/compose';
import { useStore } from '../../store/store';
import { showToast } from '../../store/toast';
import { nameOf } from '../conversations/names';
import { Lightbox } from './Attachments';
import { closeOverlay, openOverlay, overlay, type Overlay } from './overlays';
import { QUICK_REACTIONS, react } from './Reactions';

/** The menu, dialogs, lightbox and toast of the open conversation (one of each at a time). */
export function MessageOverlays({ c, myId }: { c: Conversation; myId: string }) {
  const current = useStore(overlay, (s) => s.current);
  // Leaving the conversation closes whatever was open over it.
  useEffect(() => () => overlay.set(() => ({ current: null, returnFocus: null })), [c.id]);
  return (
    <>
      {current?.kind === 'menu' && <MessageMenu o={current} c={c} myId={myId} />}
      {current?.kind === 'delete' && <DeleteDialog m={current.message} c={c} myId={myId} />}
      {current?.kind === 'lightbox' && <Lightbox a={current.a} label={current.label} onClose={() => closeOverlay()} />}
    </>
  );
}

const MENU_WIDTH = 240;
const item =
  'flex w-full items-center gap-3 px-4 py-2.5 text-left text-[15px] outline-none hover:bg-neutral-100 focus-visible:bg-neutral-100 dark:hover:bg-neutral-700 dark:focus-visible:bg-neutral-700';

function MessageMenu({ o, c, myId }: { o: Extract<Overlay, { kind: 'menu' }>; c: Conversation; myId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ top: number; left: number } | null>(null);
  const m = o.message;

  // Below the bubble when it fits, above it otherwise; inside the window either way. It follows
  // the bubble when the list moves by itself (a new message, an image loading); scrolling by
  // hand closes it, as does the bubble leaving the page.
  const place = useCallback(() => {
    if (!o.anchor.isConnected) return closeOverlay(false);
    const r = o.anchor.getBoundingClientRect();
    const h = ref.current?.offsetHeight ?? 0;
    const below = r.bottom + 4;
    const top = below + h <= window.innerHeight - 8 ? below : Math.max(8, r.top - h - 4);
    const left = o.own ? r.right - MENU_WIDTH : r.left;
    setPos({ top, left: Math.min(Math.max(8, left), window.innerWidth - MENU_WIDTH - 8) });
  }, [o]);
  useLayoutEffect(place, [place]);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus({ preventScroll: true });
    const outside = (e: Event) => !ref.current?.contains(e.target as Node) && closeOverlay(false);
    const onScroll = () => requestAnimationFrame(place);
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      closeOverlay();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', outside);
    document.addEventListener('wheel', outside, { passive: true });
    document.addEventListener('touchmove', outside, { passive: true });
    document.addEventListener('scroll', onScroll, true);
    window.addEventListener('resize', onScroll);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', outside);
      document.removeEventListener('wheel', outside);
      document.removeEventListener('touchmove', outside);
      document.removeEventListener('scroll', onScroll, true);
      window.removeEventListener('resize', onScroll);
    };
  }, [place]);

  /**
   * The emoji are a row and the actions a column: ←/→ move along the row, ↓/↑ down and up the
   * column, from the row to the first action and from the first action back up to the row.
   */
  function onKeyDown(e: ReactKeyboardEvent) {
    const all = (selector: string) => [...(ref.current?.querySelectorAll<HTMLElement>(selector) ?? [])];
    const items = all('[role="menuitem"]');
    const emojis = all('[role="group"] [role="menuitem"]');
    const actions = items.filter((x) => !emojis.includes(x));
    const active = document.activeElement as HTMLElement;
    const inRow = emojis.indexOf(active);
    const inColumn = actions.indexOf(active);
    const wrap = <T,>(list: T[], i: number) => list[(i + list.length) % list.length];
    const across = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    const down = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    let next: HTMLElement | undefined;
    if (across && inRow >= 0) next = wrap(emojis, inRow + across);
    else if (down && inRow >= 0) next = down > 0 ? actions[0] : actions.at(-1);
    else if (down && inColumn >= 0) next = actions[inColumn + down] ?? emojis[0];
    else if (inRow < 0 && inColumn < 0) next = items[0];
    if (across || down) {
      e.preventDefault();
      next?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1]?.focus();
    } else if (e.key === 'Tab') {
      closeOverlay();
    }
  }

  const act =
    (fn: () => void, restoreFocus = false) =>
    () => {
      closeOverlay(restoreFocus);
      fn();
    };
  const entries: { label: string; icon: ReactNode; run: () => void; danger?: boolean }[] = [
    { label: 'Reply', icon: <ReplyIcon />, run: act(() => setIntent(c.id, { kind: 'reply', message: m })) },
  ];
  if (canEdit(m, myId))
    entries.push({
      label: 'Edit',
      icon: <PencilIcon />,
      run: act(() => setIntent(c.id, { kind: 'edit', message: m })),
    });
  if (m.content && m.message_type === 'text')
    entries.push({
      label: 'Copy text',
      icon: <CopyIcon />,
      run: act(() => {
        navigator.clipboard.writeText(m.content).then(
          () => showToast('Copied'),
          () => showToast('Could not copy the text'),
        );
      }, true),
    });
  if (canDelete(m, c, myId))
    entries.push({
      label: 'Delete',
      icon: <TrashIcon />,
      danger: true,
      run: () => openOverlay({ kind: 'delete', message: m }),
    });

  return (
    <div
      ref={ref}
      role="menu"
      aria-label="Message actions"
      onKeyDown={onKeyDown}
      style={{ top: pos?.top ?? 0, left: pos?.left ?? 0, width: MENU_WIDTH }}
      className={`fixed z-40 overflow-hidden rounded-xl border border-neutral-200 bg-white py-1 text-neutral-900 shadow-lg dark:border-neutral-700 dark:bg-neutral-800 dark:text-neutral-100 ${pos ? '' : 'opacity-0'}`}
    >
      <div role="group" aria-label="React" className="flex justify-between px-2 pb-1">
        {QUICK_REACTIONS.map((emoji) => {
          const mine = m.reactions.some((r) => r.emoji === emoji && r.user_ids.includes(myId));
          return (
            <button
              key={emoji}
              role="menuitem"
              aria-label={`React with ${emoji}`}
              onClick={act(() => react(m, emoji, myId), true)}
              className={`flex h-10 w-10 items-center justify-center rounded-full text-xl outline-none hover:bg-neutral-100 focus-visible:ring-2 focus-visible:ring-accent dark:hover:bg-neutral-700 ${mine ? 'bg-accent-soft dark:bg-teal-900' : ''}`}
            >
              {emoji}
            </button>
          );
        })}
      </div>
      <div className="border-t border-neutral-200 pt-1 dark:border-neutral-700">
        {entries.map((e) => (
          <button
            key={e.label}
            role="menuitem"
            onClick={e.run}
            className={`${item} ${e.danger ? 'text-red-700 dark:text-red-400' : ''}`}
          >
            {e.icon}
            {e.label}
          </button>
        ))}
      </div>
    </div>
  );
}

function DeleteDialog({ m, c, myId }: { m: Message; c: Conversation; myId: string }) {
  const [busy, setBusy] = useState(false);
  const own = m.sender_id === myId;
  async function confirm() {
    setBusy(true);
    try {
      await deleteMessage(m);
      closeOverlay(false);
    } catch (err) {
      setBusy(false);
      showToast(`Could not delete: ${(err as Error).message}`);
    }
  }
  return (
    <Dialog title="Delete message?" onClose={() => closeOverlay()}>
      <p className="text-[15px] text-neutral-700 dark:text-neutral-300">
        {own
          ? 'This message will be deleted for everyone in this chat.'
          : `This message from ${nameOf(c, m.sender_id)} will be deleted for everyone in this group.`}
      </p>
      <div className="mt-5 flex justify-end gap-2">
        <button
          onClick={() => closeOverlay()}
          className="rounded-full px-4 py-2 font-medium hover:bg-neutral-100 dark:hover:bg-neutral-800"
        >
          Cancel
        </button>
        <button
          onClick={() => void confirm()}
          disabled={busy}
          className="rounded-full bg-red-600 px-4 py-2 font-semibold text-white hover:bg-red-700 disabled:opacity-60"
        >
          Delete for everyone
        </button>
      </div>
    </Dialog>
  );
}
