import type { Attachment, Message } from '../../../../protocol/messages.js';
import { createStore } from '../../store/store';

/**
 * What floats over the open conversation: a message's action menu, the delete confirmation or
 * the lightbox. Held here, not in the row, because the virtualized list unmounts rows that
 * scroll away (a new message arriving must not close a dialog).
 */
export type Overlay =
  | {
      kind: 'menu';
      message: Message;
      /** The bubble: the menu sits beside it and follows it. */
      anchor: HTMLElement;
      own: boolean;
    }
  | { kind: 'delete'; message: Message }
  | { kind: 'lightbox'; a: Attachment; label: string };

export const overlay = createStore<{ current: Overlay | null; returnFocus: HTMLElement | null }>({
  current: null,
  returnFocus: null,
});

export function openOverlay(o: Overlay) {
  const active = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  overlay.set((s) => ({ current: o, returnFocus: s.current ? s.returnFocus : active }));
}

/** Closes it; focus goes back to what opened it unless the action moves it (to the composer). */
export function closeOverlay(restoreFocus = true) {
  const { returnFocus } = overlay.get();
  overlay.set(() => ({ current: null, returnFocus: null }));
  if (restoreFocus && returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
}
