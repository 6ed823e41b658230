import { createHash } from 'node:crypto';
import { clampTimerDelay } from './rate-limit-delay.js';
import {
  DEFAULT_MAX_RATE_LIMIT_RESET_MS,
  DEFAULT_RATE_LIMIT_BACKOFF_MS,
  governingLimit,
  type HeaderSource,
  parseAdvertisedLimits,
  type RateLimitWait,
  type RateLimitWaitOptions,
} from './rate-limit-headers.js';

/**
 * Keeps one API key under Cal.com's advertised limit, so that a burst of work never trips the 60-second block.
 *
 * A slot is taken when a request is granted and stays taken until `windowMs` after its response arrived.
 * Cal.com counts a request when it receives it, which is somewhere between our send and our receipt of the
 * answer; holding the slot until a full window after the answer therefore guarantees that any `limit + 1`
 * requests reach Cal.com at least one window apart, for a sliding or a fixed window alike, whatever the latency.
 */
export interface RateLimiter {
  /** Resolves when a request may be sent; waiters are served oldest first. Pair with `release()`. */
  acquire(): Promise<void>;
  /** The request granted by an `acquire()` has finished (answered or failed). */
  release(): void;
  /** acquire, run, release. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Adopts Cal.com's view from `X-RateLimit-Limit-*`, `-Remaining-*` and `-Reset-*`. */
  observe(headers: HeaderSource): void;
  /**
   * Grants nothing for `ms` (after a 429), never longer than `maxResetMs`; `wait` tells what Cal.com advertised,
   * kept for the status of the services that wait.
   */
  pauseFor(ms: number, wait?: RateLimitWait): void;
  /** The cap and the window a 429's headers are read with. */
  resetBounds(): Required<RateLimitWaitOptions>;
  snapshot(): RateLimiterSnapshot;
}

export interface RateLimiterSnapshot {
  limit: number;
  windowMs: number;
  inFlight: number;
  /** Slots held by finished requests (or by Cal.com's count) that have not aged out yet. */
  cooling: number;
  waiting: number;
  pausedUntil: number | null;
  /** Why the key is paused (the 429 that paused it longest), while it is. */
  pause: RateLimitPause | null;
}

/** A key held after a 429: until when, and what Cal.com advertised against what was applied. */
export interface RateLimitPause {
  untilMs: number;
  /** The wait applied, capped. */
  waitMs: number;
  advertisedMs: number | null;
  capped: boolean;
  fallback: boolean;
  maxResetMs: number;
}

export interface RateLimiterOptions {
  limit?: number;
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Longest pause a 429 (or an advertised surplus) may impose; defaults to 15 minutes. */
  maxResetMs?: number;
}

export const DEFAULT_RATE_LIMIT = 120;
export const DEFAULT_RATE_WINDOW_MS = 60_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, clampTimerDelay(ms)));

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const windowMs = options.windowMs ?? DEFAULT_RATE_WINDOW_MS;
  const maxResetMs = clampTimerDelay(
    options.maxResetMs ?? DEFAULT_MAX_RATE_LIMIT_RESET_MS,
    DEFAULT_MAX_RATE_LIMIT_RESET_MS,
  );
  let limit = options.limit ?? DEFAULT_RATE_LIMIT;
  let pause: RateLimitPause | null = null;
  // Cal.com's own block after a 429 (60 s): what an unreadable reset stands for, whatever our pacing window.
  const blockMs = Math.min(DEFAULT_RATE_LIMIT_BACKOFF_MS, maxResetMs);
  let inFlight = 0;
  // Expiry times of cooling slots, kept sorted so the earliest to free up is first.
  const cooling: number[] = [];
  const waiters: Array<() => void> = [];
  let pausedUntil = 0;
  let wakeAt: number | null = null;

  function addCooling(expiry: number): void {
    let i = cooling.length;
    while (i > 0 && (cooling[i - 1] ?? 0) > expiry) i--;
    cooling.splice(i, 0, expiry);
  }

  function prune(at: number): void {
    while (cooling.length > 0 && (cooling[0] ?? 0) <= at) cooling.shift();
  }

  function wakeUpAt(at: number): void {
    if (wakeAt !== null && wakeAt <= at) return;
    wakeAt = at;
    void sleep(clampTimerDelay(at - now(), windowMs)).then(() => {
      if (wakeAt === at) wakeAt = null;
      grant();
    });
  }

  function grant(): void {
    while (waiters.length > 0) {
      const at = now();
      if (pausedUntil > at) {
        wakeUpAt(pausedUntil);
        return;
      }
      prune(at);
      if (inFlight + cooling.length < limit) {
        inFlight++;
        waiters.shift()?.();
        continue;
      }
      // Every slot held by a request still in flight: its release() calls grant() again.
      const earliest = cooling[0];
      if (earliest !== undefined) wakeUpAt(earliest);
      return;
    }
  }

  const limiter: RateLimiter = {
    acquire() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        grant();
      });
    },
    release() {
      if (inFlight === 0) return;
      inFlight--;
      addCooling(now() + windowMs);
      grant();
    },
    async run(task) {
      await limiter.acquire();
      try {
        return await task();
      } finally {
        limiter.release();
      }
    },
    observe(headers) {
      const advertised = governingLimit(parseAdvertisedLimits(headers));
      if (!advertised) return;
      if (advertised.limit !== null && advertised.limit >= 1) limit = Math.floor(advertised.limit);
      if (advertised.remaining === null || advertised.resetMs === null) return;
      // Cal.com may have counted more than we did (another process on the same key, a restart of ours):
      // its surplus holds slots until its window resets.
      const at = now();
      prune(at);
      const surplus = limit - advertised.remaining - (inFlight + cooling.length);
      const resetMs = Math.min(clampTimerDelay(advertised.resetMs, windowMs), maxResetMs);
      for (let i = 0; i < Math.min(surplus, limit); i++) addCooling(at + resetMs);
      grant();
    },
    pauseFor(ms, wait) {
      const applied = Math.min(clampTimerDelay(ms, blockMs), maxResetMs);
      const until = now() + applied;
      if (until > pausedUntil) {
        pausedUntil = until;
        pause = {
          untilMs: until,
          waitMs: applied,
          advertisedMs: wait?.advertisedMs ?? null,
          capped: (wait?.capped ?? false) || applied < ms,
          fallback: wait?.fallback ?? false,
          maxResetMs,
        };
      }
      grant();
    },
    resetBounds() {
      return { maxResetMs, windowMs: blockMs };
    },
    snapshot() {
      const at = now();
      prune(at);
      return {
        limit,
        windowMs,
        inFlight,
        cooling: cooling.length,
        waiting: waiters.length,
        pausedUntil: pausedUntil > at ? pausedUntil : null,
        pause: pause && pause.untilMs > at ? { ...pause } : null,
      };
    },
  };
  return limiter;
}

const registry = new Map<string, RateLimiter>();

/**
 * The one limiter shared by every client of an API key, since Cal.com counts per key, not per client.
 * Options apply when the key is first seen. Keys are held as hashes only.
 */
export function rateLimiterFor(apiKey: string, options?: RateLimiterOptions): RateLimiter {
  const id = createHash('sha256').update(apiKey).digest('hex');
  let limiter = registry.get(id);
  if (!limiter) {
    limiter = createRateLimiter(options);
    registry.set(id, limiter);
  }
  return limiter;
}
