import { useEffect } from 'react';

/** Calls `load` whenever this tab comes back to the front: what it shows may have changed meanwhile. */
export function useReloadOnReturn(load: () => unknown) {
  useEffect(() => {
    const onVisible = () => document.visibilityState === 'visible' && void load();
    window.addEventListener('focus', onVisible);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('focus', onVisible);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [load]);
}
