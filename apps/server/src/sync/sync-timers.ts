import { clampTimerDelay } from '@calsync/calcom';

/** A timer asked for a non-finite delay (a bug upstream) looks again this much later rather than never or at once. */
export const SAFE_DEFAULT_DELAY_MS = 1000;

/**
 * How the process manager waits for a retry time. Injected so that tests can move time on at
 * will; the retry time itself is always in the SyncFailed event, a timer only wakes us up.
 */
export interface SyncTimers {
  /** Runs `task` after `ms` milliseconds; returns the function that cancels it. */
  schedule(ms: number, task: () => void): () => void;
}

/** Node's timers. Unref'd: a pending retry alone never keeps a process alive. */
export const realTimers: SyncTimers = {
  schedule(ms, task) {
    const timer = setTimeout(task, clampTimerDelay(ms, SAFE_DEFAULT_DELAY_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
