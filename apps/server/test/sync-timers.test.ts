import { describe, expect, it } from 'vitest';
import { realTimers } from '../src/sync/sync-timers.js';

describe('the sync timers', () => {
  it('take any delay, however absurd, without a TimeoutOverflowWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const fired: number[] = [];
      const cancels = [1e15, Number.POSITIVE_INFINITY, Number.MAX_VALUE, 2 ** 31].map((ms, i) =>
        realTimers.schedule(ms, () => fired.push(i)),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const cancel of cancels) cancel();
      expect(warnings).not.toContain('TimeoutOverflowWarning');
      // Clamped, not fired at once: an overflowing timer would have run within the first millisecond.
      expect(fired).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('wait the safe default for a task asked for with a non-finite delay, rather than running it at once', async () => {
    let ran = false;
    const cancel = realTimers.schedule(Number.NaN, () => {
      ran = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran).toBe(false);
    cancel();
  });
});
