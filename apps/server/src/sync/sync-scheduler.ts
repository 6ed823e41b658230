import { clampTimerDelay } from '@calsync/calcom';
import type { SyncTimers } from './sync-timers.js';

/** What a service needs now, as the process manager sees it. */
export type Readiness =
  /** Nothing to push, or pushes are held (divergence, missing event type, paused team). */
  | { kind: 'none' }
  /**
   * Not before this time (epoch ms): a recorded retry time, or the per-service push interval
   * that coalesces a burst of edits (work in progress rather than a wait for Cal.com).
   */
  | { kind: 'wait'; untilMs: number; reason: 'retry' | 'coalesce' }
  /** Push now, in the lane of this team (one lane per Cal.com team). */
  | { kind: 'ready'; lane: number };

export interface SchedulerOptions {
  /** Calls in flight at once per lane; the key's rate limiter paces them further. */
  concurrencyPerLane: number;
  timers: SyncTimers;
  now: () => number;
  readiness: (serviceId: string) => Readiness;
  /** Performs the push and records its outcome; never rejects. */
  push: (serviceId: string) => Promise<void>;
}

interface Lane {
  /** Services ready to push, oldest first: a busy service goes to the back after each push. */
  queue: string[];
  active: number;
}

/**
 * Decides when each service is pushed: at most one call per service, FIFO per team so that one
 * busy service cannot starve the others, timers for retry times. It holds no facts: every
 * decision is taken from `readiness`, which reads the current state of the service.
 */
export class SyncScheduler {
  private readonly lanes = new Map<number, Lane>();
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, { lane: number; call: Promise<void> }>();
  private readonly timers = new Map<
    string,
    { at: number; reason: 'retry' | 'coalesce'; cancel: () => void }
  >();
  private quietWaiters: Array<() => void> = [];
  private wakeWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  /** Looks at a service again: something about it may have changed. */
  poke(serviceId: string): void {
    if (this.stopped || this.running.has(serviceId)) return; // re-evaluated when its call ends
    const readiness = this.options.readiness(serviceId);
    if (readiness.kind !== 'wait') this.cancelTimer(serviceId);
    if (readiness.kind === 'wait') {
      this.dequeue(serviceId);
      this.wakeAt(serviceId, readiness.untilMs, readiness.reason);
    } else if (readiness.kind === 'ready' && !this.queued.has(serviceId)) {
      this.queued.add(serviceId);
      this.laneOf(readiness.lane).queue.push(serviceId);
      this.pump(readiness.lane);
    } else if (readiness.kind === 'none') {
      this.dequeue(serviceId);
    }
    this.settleQuiet();
  }

  /** Resolves once no call is in flight and nothing is ready to go (future retries may remain). */
  quiet(): Promise<void> {
    if (this.isQuiet()) return Promise.resolve();
    return new Promise((resolve) => this.quietWaiters.push(resolve));
  }

  isQuiet(): boolean {
    return this.running.size === 0 && this.queued.size === 0;
  }

  /** Services waiting for a time (a retry, or the coalescing interval). */
  scheduledCount(): number {
    return this.timers.size;
  }

  /** Services holding back a burst of edits for the push interval. */
  coalescingCount(): number {
    let count = 0;
    for (const timer of this.timers.values()) if (timer.reason === 'coalesce') count++;
    return count;
  }

  /** Resolves after the next scheduled wake-up has fired (or at once when none is scheduled). */
  nextWake(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.wakeWaiters.push(resolve));
  }

  /** Stops dispatching and cancels every timer; resolves when the calls in flight end or `drainMs` passes. */
  async stop(drainMs: number): Promise<string[]> {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.releaseWakeWaiters();
    this.queued.clear();
    this.lanes.clear();
    const calls = [...this.running.values()].map((running) => running.call);
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(calls),
      new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, clampTimerDelay(drainMs));
      }),
    ]);
    clearTimeout(deadline);
    this.settleQuiet(true);
    return [...this.running.keys()];
  }

  /**
   * Resolves when the calls in flight in `lane` have ended, or after `drainMs`; returns the services
   * still in flight then. Meant for a lane that gets no new work (its readiness says none).
   */
  async drainLane(lane: number, drainMs: number): Promise<string[]> {
    const inLane = () => [...this.running].filter(([, running]) => running.lane === lane);
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(inLane().map(([, running]) => running.call)),
      new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, clampTimerDelay(drainMs));
      }),
    ]);
    clearTimeout(deadline);
    return inLane().map(([serviceId]) => serviceId);
  }

  private laneOf(lane: number): Lane {
    let entry = this.lanes.get(lane);
    if (!entry) {
      entry = { queue: [], active: 0 };
      this.lanes.set(lane, entry);
    }
    return entry;
  }

  private pump(laneId: number): void {
    const lane = this.laneOf(laneId);
    while (!this.stopped && lane.active < this.options.concurrencyPerLane) {
      const serviceId = lane.queue.shift();
      if (serviceId === undefined) return;
      if (!this.queued.delete(serviceId)) continue; // dequeued meanwhile
      // The state may have moved on while it queued: decide again at the moment of sending.
      const readiness = this.options.readiness(serviceId);
      if (readiness.kind !== 'ready' || readiness.lane !== laneId) {
        this.poke(serviceId);
        continue;
      }
      lane.active++;
      const call = this.options.push(serviceId).finally(() => {
        lane.active--;
        this.running.delete(serviceId);
        // A newer request, a retry time or nothing: the recorded outcome says which.
        this.poke(serviceId);
        this.pump(laneId);
        this.settleQuiet();
      });
      this.running.set(serviceId, { lane: laneId, call });
    }
  }

  private dequeue(serviceId: string): void {
    // Lazy removal: pump skips ids no longer in `queued`.
    this.queued.delete(serviceId);
  }

  private wakeAt(serviceId: string, at: number, reason: 'retry' | 'coalesce'): void {
    const existing = this.timers.get(serviceId);
    if (existing?.at === at && existing.reason === reason) return;
    existing?.cancel();
    const cancel = this.options.timers.schedule(at - this.options.now(), () => {
      this.timers.delete(serviceId);
      this.poke(serviceId);
      this.releaseWakeWaiters();
    });
    this.timers.set(serviceId, { at, reason, cancel });
  }

  private cancelTimer(serviceId: string): void {
    const timer = this.timers.get(serviceId);
    if (!timer) return;
    timer.cancel();
    this.timers.delete(serviceId);
    if (this.timers.size === 0) this.releaseWakeWaiters();
  }

  private releaseWakeWaiters(): void {
    const waiters = this.wakeWaiters;
    this.wakeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private settleQuiet(force = false): void {
    if (!force && !this.isQuiet()) return;
    const waiters = this.quietWaiters;
    this.quietWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
