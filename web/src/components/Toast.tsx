import { useStore } from '../store/store';
import { hideToast, toast } from '../store/toast';

/** The toast of the moment (see store/toast), over whatever page is open. */
export function Toast() {
  const t = useStore(toast, (s) => s);
  if (!t) return null;
  return (
    <div
      role="alert"
      className="fixed inset-x-0 bottom-24 z-50 mx-auto flex w-fit max-w-[calc(100%-2rem)] items-center gap-3 rounded-full bg-neutral-900 px-4 py-2 text-sm text-white shadow-lg dark:bg-neutral-100 dark:text-neutral-900"
    >
      <span>{t.text}</span>
      <button className="font-semibold underline" onClick={hideToast}>
        Dismiss
      </button>
    </div>
  );
}
