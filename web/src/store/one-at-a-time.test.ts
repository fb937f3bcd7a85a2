import { describe, expect, it } from 'vitest';
import { oneAtATime } from './one-at-a-time';

/** A `work` whose runs the test finishes by hand, in any order. */
function manual() {
  const runs: { n: number; finish: () => void; fail: () => void }[] = [];
  const work = () =>
    new Promise<void>((resolve, reject) => {
      runs.push({ n: runs.length + 1, finish: resolve, fail: () => reject(new Error('offline')) });
    });
  return { runs, work };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('oneAtATime', () => {
  it('runs at once when idle, and again when asked after a run is over', async () => {
    const { runs, work } = manual();
    const catchUp = oneAtATime(work);
    catchUp.ask();
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    await settle();
    catchUp.ask();
    expect(runs).toHaveLength(2);
  });

  it('asked any number of times during a run, runs once more after it, not before it ends', async () => {
    const { runs, work } = manual();
    const catchUp = oneAtATime(work);
    catchUp.ask();
    catchUp.ask();
    catchUp.ask();
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.finish();
    await settle();
    expect(runs).toHaveLength(2);
  });

  it('a failed run still lets the queued one go', async () => {
    const { runs, work } = manual();
    const catchUp = oneAtATime(work);
    catchUp.ask();
    catchUp.ask();
    runs[0]!.fail();
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.fail();
    await settle();
    catchUp.ask();
    expect(runs).toHaveLength(3);
  });

  it('a restart runs at once and drops what was queued; the run it replaced starts nothing when it ends', async () => {
    const { runs, work } = manual();
    const catchUp = oneAtATime(work);
    catchUp.ask();
    catchUp.ask(); // queued behind run 1
    catchUp.restart(); // a new socket: run 2 covers everything before it
    expect(runs).toHaveLength(2);
    runs[0]!.finish();
    await settle();
    runs[1]!.finish();
    await settle();
    expect(runs).toHaveLength(2);
  });

  it('after a restart, an ask waits for the new run, not for the one it replaced', async () => {
    const { runs, work } = manual();
    const catchUp = oneAtATime(work);
    catchUp.ask();
    catchUp.restart();
    runs[0]!.finish();
    await settle();
    catchUp.ask();
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.finish();
    await settle();
    expect(runs.map((r) => r.n)).toEqual([1, 2, 3]);
  });
});
