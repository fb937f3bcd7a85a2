import { useEffect, useRef, type ReactNode } from 'react';
import { CloseIcon } from './Icons';

/** A modal dialog (native <dialog>): Esc and the close button dismiss it, focus stays inside. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-label={title}
      onClose={onClose}
      className="m-auto w-[min(28rem,calc(100%-2rem))] rounded-2xl bg-white p-0 text-inherit shadow-xl backdrop:bg-black/40 dark:bg-neutral-900"
    >
      <div className="flex items-center justify-between border-b border-neutral-200 px-4 py-3 dark:border-neutral-800">
        <h2 className="text-base font-semibold">{title}</h2>
        <button
          aria-label="Close"
          className="rounded-full p-2.5 hover:bg-neutral-100 dark:hover:bg-neutral-800"
          onClick={() => ref.current?.close()}
        >
          <CloseIcon />
        </button>
      </div>
      <div className="max-h-[70vh] overflow-y-auto p-4">{children}</div>
    </dialog>
  );
}
