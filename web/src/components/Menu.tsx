import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { MenuIcon } from './Icons';

/** A menu item's look: `<button role="menuitem" className={menuItem}>`. */
export const menuItem = 'w-full px-4 py-2 text-left hover:bg-neutral-100 dark:hover:bg-neutral-700';

/** A small popup menu behind a button; Esc or a click elsewhere closes it. */
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
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);
  return (
    <div className="relative" ref={ref}>
      <button
        ref={buttonRef}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex rounded-full p-2 text-neutral-600 hover:bg-neutral-100 dark:text-neutral-300 dark:hover:bg-neutral-800"
      >
        <MenuIcon />
      </button>
      {open && (
        <div
          role="menu"
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
