import { useEffect, useState } from 'react';
import { useStore } from '../store/store';
import { connection, socket } from '../store/chat';

/** A thin, non-blocking strip at the top that says how the connection is doing. */
export function ConnectionBanner() {
  const state = useStore(connection, (s) => s);
  const [, tick] = useState(0);
  useEffect(() => {
    if (state.status !== 'reconnecting') return;
    const t = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(t);
  }, [state]);

  let text: string | null = null;
  let tone = 'bg-amber-100 text-amber-900 dark:bg-amber-900/60 dark:text-amber-100';
  if (state.status === 'connecting') text = 'Connecting…';
  if (state.status === 'reconnecting') {
    const s = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    text = s > 0 ? `Reconnecting in ${s}s…` : 'Reconnecting…';
  }
  if (state.status === 'offline') {
    text = 'You are offline. Messages will send when you are back.';
    tone = 'bg-neutral-200 text-neutral-800 dark:bg-neutral-800 dark:text-neutral-100';
  }
  return (
    <div role="status" aria-live="polite" data-testid="connection" data-state={state.status}>
      {text && (
        <div className={`flex items-center justify-center gap-3 px-3 py-1 text-center text-[13px] ${tone}`}>
          <span>{text}</span>
          {state.status === 'reconnecting' && (
            <button className="font-semibold underline" onClick={() => socket.reconnectNow()}>
              Retry now
            </button>
          )}
        </div>
      )}
    </div>
  );
}
