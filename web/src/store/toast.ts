import { createStore } from './store';

/** One short message at a time, gone after a few seconds (errors of actions that have no form). */
export const toast = createStore<{ text: string; id: number } | null>(null);
let ids = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

export function showToast(text: string) {
  const id = ++ids;
  toast.set(() => ({ text, id }));
  clearTimeout(timer);
  timer = setTimeout(() => toast.set((t) => (t?.id === id ? null : t)), 5000);
}

export function hideToast() {
  toast.set(() => null);
}
