/**
 * Runs `work` one at a time. `ask` while a run is going queues one more after it, however
 * often it is asked meanwhile (what the running one read may be older than the reason for
 * asking); `restart` starts a run at once, and the one it replaces neither counts nor starts
 * the queued one (a new socket: its run covers everything before it).
 */
export function oneAtATime(work: () => Promise<unknown>) {
  let running: Promise<unknown> | null = null;
  let again = false;
  function start() {
    const run: Promise<unknown> = work()
      .catch(() => {})
      .then(() => {
        if (running !== run) return; // replaced by a restart
        running = null;
        if (again) {
          again = false;
          start();
        }
      });
    running = run;
  }
  return {
    ask(): void {
      if (running) again = true;
      else start();
    },
    restart(): void {
      again = false;
      start();
    },
  };
}
