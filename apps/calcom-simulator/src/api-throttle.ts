/**
 * Cal.com's per-tracker limit (docs/calcom.md): a fixed window that starts with the first hit, and once a hit goes
 * over the limit, a block of `blockMs` during which everything is refused. Every answer advertises the state in
 * `X-RateLimit-{Limit,Remaining,Reset}-Default`, Reset in whole seconds until the window or block ends.
 */

export interface RateLimitSettings {
  limit: number;
  windowMs: number;
  blockMs: number;
}

export const DEFAULT_SIMULATED_RATE_LIMIT: RateLimitSettings = {
  limit: 120,
  windowMs: 60_000,
  blockMs: 60_000,
};

export interface ThrottleVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

interface TrackerState {
  windowStart: number;
  hits: number;
  blockedUntil: number;
}

export interface ApiThrottle {
  hit(tracker: string): ThrottleVerdict;
  reset(): void;
}

export function createApiThrottle(settings: RateLimitSettings, now: () => number = Date.now): ApiThrottle {
  const trackers = new Map<string, TrackerState>();

  const headers = (remaining: number, resetMs: number): Record<string, string> => ({
    'X-RateLimit-Limit-Default': String(settings.limit),
    'X-RateLimit-Remaining-Default': String(Math.max(0, remaining)),
    'X-RateLimit-Reset-Default': String(Math.max(0, Math.ceil(resetMs / 1000))),
  });

  return {
    hit(tracker) {
      const at = now();
      const previous = trackers.get(tracker);
      // A window ends on time, and a served block ends its window too: the key starts afresh.
      const current =
        previous &&
        at < previous.windowStart + settings.windowMs &&
        (previous.blockedUntil === 0 || at < previous.blockedUntil);
      const state = current ? previous : { windowStart: at, hits: 0, blockedUntil: 0 };
      trackers.set(tracker, state);
      if (at < state.blockedUntil) return { allowed: false, headers: headers(0, state.blockedUntil - at) };
      state.hits++;
      if (state.hits > settings.limit) {
        state.blockedUntil = at + settings.blockMs;
        return { allowed: false, headers: headers(0, settings.blockMs) };
      }
      return {
        allowed: true,
        headers: headers(settings.limit - state.hits, state.windowStart + settings.windowMs - at),
      };
    },
    reset() {
      trackers.clear();
    },
  };
}
