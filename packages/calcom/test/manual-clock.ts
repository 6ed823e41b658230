/**
 * A clock for the rate limiter that only moves when a test says so. `advanceTo` wakes every sleeper that is due
 * and then lets the promise chains they started run to completion.
 */
export interface ManualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  advanceTo(at: number): Promise<void>;
  advanceBy(ms: number): Promise<void>;
  pendingSleeps(): number;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createManualClock(start = 0): ManualClock {
  let current = start;
  let sleepers: Array<{ at: number; wake: () => void }> = [];
  const clock: ManualClock = {
    now: () => current,
    sleep(ms) {
      return new Promise<void>((wake) => {
        sleepers.push({ at: current + ms, wake });
      });
    },
    async advanceTo(at) {
      await settle();
      for (;;) {
        const due = sleepers.filter((s) => s.at <= at).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        current = due.at;
        sleepers = sleepers.filter((s) => s !== due);
        due.wake();
        await settle();
      }
      current = at;
      await settle();
    },
    advanceBy: (ms) => clock.advanceTo(current + ms),
    pendingSleeps: () => sleepers.length,
  };
  return clock;
}
