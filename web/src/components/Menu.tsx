import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { MenuIcon } from './Icons';
import { useDismiss } from './useDismiss';

/** A menu item's look: `<button role="menuitem" className={menuItem}>`. */
export const menuItem = 'w-full px-4 py-2 text-left hover:bg-neutral-100 dark:hover:bg-neutral-700';

/**
 * A small popup menu behind a button (the WAI-ARIA menu button pattern): opening it focuses
 * the first item; the arrow keys, Home and End move between items; Escape closes it and gives
 * focus back to the button; Tab or a click elsewhere closes it.
 */
export function Menu({
  label = 'Menu',
  buttonRef,
  children,
}: {
  label?: string;
  /** The button that opens the menu (to give focus back to it). */
  buttonRef?: RefObject<HTMLButtonElement | null>;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const ownButton = useRef<HTMLButtonElement | null>(null);
  const items = () => [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  useEffect(() => {
    if (open) items()[0]?.focus();
  }, [open]);

  function onMenuKey(e: KeyboardEvent) {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: list.length - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      list[(to + list.length) % list.length]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      ownButton.current?.focus();
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  }

  useDismiss(open, ref, () => setOpen(false));
  return (
    <div className="relative" ref={ref}>
      <button
        ref={(el) => {
          ownButton.current = el;
          if (buttonRef) buttonRef.current = el;
        }}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
        className="flex rounded-full p-2.5 text-neutral-600 hover:bg-neutral-100 dark:text-neutral-300 dark:hover:bg-neutral-800"
      >
        <MenuIcon />
      </button>
      {open && (
        <div
          ref={menu}
          role="menu"
          aria-label={label}
          onKeyDown={onMenuKey}
          // Choosing an item closes the menu (items that navigate would leave it open).
          onClick={(e) => (e.target as HTMLElement).closest('[role="menuitem"]') && setOpen(false)}
          className="absolute right-0 z-20 mt-1 w-52 rounded-xl border border-neutral-200 bg-white py-1 shadow-lg dark:border-neutral-700 dark:bg-neutral-800"
        >
          {children}
        </div>
      )}
    </div>
  );
}
