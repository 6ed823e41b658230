import { describe, expect, it } from 'vitest';
import { type Readiness, SyncScheduler } from '../src/sync/sync-scheduler.js';
import type { SyncTimers } from '../src/sync/sync-timers.js';

/** A scheduler over services whose pushes complete when the test says so. */
function schedulerWith(options: { concurrency: number }) {
  const wants = new Map<string, Readiness>();
  const pushed: string[] = [];
  const finish = new Map<string, () => void>();
  let now = 0;
  const timers: Array<{ at: number; task: () => void }> = [];
  const fakeTimers: SyncTimers = {
    schedule(ms, task) {
      const entry = { at: now + ms, task };
      timers.push(entry);
      return () => timers.splice(timers.indexOf(entry), 1);
    },
  };
  const scheduler = new SyncScheduler({
    concurrencyPerLane: options.concurrency,
    timers: fakeTimers,
    now: () => now,
    readiness: (id) => wants.get(id) ?? { kind: 'none' },
    push: (id) =>
      new Promise<void>((resolve) => {
        pushed.push(id);
        finish.set(id, resolve);
      }),
  });
  return {
    scheduler,
    pushed,
    want(id: string, readiness: Readiness) {
      wants.set(id, readiness);
      scheduler.poke(id);
    },
    /** Ends the call of `id`; `then` is what the service needs after its recorded outcome. */
    async complete(id: string, then: Readiness = { kind: 'none' }) {
      wants.set(id, then);
      finish.get(id)?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
    advanceTo(at: number) {
      now = at;
      for (const entry of timers.filter((candidate) => candidate.at <= at)) {
        timers.splice(timers.indexOf(entry), 1);
        entry.task();
      }
    },
  };
}

const ready = { kind: 'ready', lane: 42 } as const;

describe('sync scheduler', () => {
  it('serves ready services oldest first, so a busy service cannot starve the others', async () => {
    const s = schedulerWith({ concurrency: 1 });
    s.want('busy', ready);
    s.want('a', ready);
    s.want('b', ready);
    // The busy service has a newer request every time its call ends: it goes to the back.
    await s.complete('busy', ready);
    await s.complete('a');
    await s.complete('b');
    await s.complete('busy', ready);
    await s.complete('busy');
    expect(s.pushed).toEqual(['busy', 'a', 'b', 'busy', 'busy']);
  });

  it('has at most one call in flight per service, and looks again when it ends', async () => {
    const s = schedulerWith({ concurrency: 4 });
    s.want('haircut', ready);
    s.want('haircut', ready);
    s.scheduler.poke('haircut');
    expect(s.pushed).toEqual(['haircut']);
    await s.complete('haircut', ready);
    expect(s.pushed).toEqual(['haircut', 'haircut']);
    await s.complete('haircut');
    expect(s.scheduler.isQuiet()).toBe(true);
  });

  it('keeps to the concurrency of a lane and runs lanes independently', async () => {
    const s = schedulerWith({ concurrency: 2 });
    for (const id of ['a', 'b', 'c']) s.want(id, ready);
    s.want('other-team', { kind: 'ready', lane: 7 });
    expect(s.pushed).toEqual(['a', 'b', 'other-team']);
    await s.complete('a');
    expect(s.pushed).toEqual(['a', 'b', 'other-team', 'c']);
  });

  it('waits for a retry time, and is quiet while it waits', async () => {
    const s = schedulerWith({ concurrency: 1 });
    s.want('haircut', { kind: 'wait', untilMs: 500, reason: 'retry' });
    expect(s.pushed).toEqual([]);
    expect(s.scheduler.isQuiet()).toBe(true);
    expect(s.scheduler.scheduledCount()).toBe(1);
    s.advanceTo(499);
    expect(s.pushed).toEqual([]);
    s.want('haircut', ready); // the clock is the scheduler's, readiness says when
    expect(s.pushed).toEqual(['haircut']);
    expect(s.scheduler.scheduledCount()).toBe(0);
  });

  it('drops a queued service whose push is no longer wanted', async () => {
    const s = schedulerWith({ concurrency: 1 });
    s.want('a', ready);
    s.want('b', ready);
    s.want('b', { kind: 'none' });
    await s.complete('a');
    expect(s.pushed).toEqual(['a']);
    expect(s.scheduler.isQuiet()).toBe(true);
  });

  it('stops taking work and reports the calls it abandons', async () => {
    const s = schedulerWith({ concurrency: 1 });
    s.want('a', ready);
    s.want('b', ready);
    expect(await s.scheduler.stop(0)).toEqual(['a']);
    await s.complete('a', ready);
    expect(s.pushed).toEqual(['a']);
  });
});
