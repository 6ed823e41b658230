import { MAX_TIMER_DELAY_MS } from './rate-limit-delay.js';

/** One named limit as advertised by `X-RateLimit-{Limit,Remaining,Reset}-<Name>` (docs/calcom.md). */
export interface AdvertisedLimit {
  name: string;
  limit: number | null;
  remaining: number | null;
  /** Reset is sent in seconds until the window or the block ends, not as a timestamp. */
  resetMs: number | null;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

const rateLimitHeader = /^x-ratelimit-(limit|remaining|reset)(?:-(.+))?$/i;

function headerEntries(headers: HeaderSource): Array<[string, string]> {
  if (headers instanceof Headers) return [...headers.entries()];
  return Object.entries(headers).flatMap(([name, value]): Array<[string, string]> => {
    if (value === undefined) return [];
    return [[name, Array.isArray(value) ? (value[0] ?? '') : value]];
  });
}

function nonNegativeNumber(raw: string): number | null {
  const value = Number(raw.trim());
  return raw.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Every named limit in a response; an unsuffixed header set is called `default`. */
export function parseAdvertisedLimits(headers: HeaderSource): AdvertisedLimit[] {
  const byName = new Map<string, AdvertisedLimit>();
  for (const [header, raw] of headerEntries(headers)) {
    const match = rateLimitHeader.exec(header);
    if (!match) continue;
    const name = (match[2] ?? 'default').toLowerCase();
    const entry = byName.get(name) ?? { name, limit: null, remaining: null, resetMs: null };
    const value = nonNegativeNumber(raw);
    if (match[1]?.toLowerCase() === 'limit') entry.limit = value;
    else if (match[1]?.toLowerCase() === 'remaining') entry.remaining = value;
    else entry.resetMs = value === null ? null : Math.ceil(value * 1000);
    byName.set(name, entry);
  }
  return [...byName.values()];
}

/**
 * The limit a client should steer by: Cal.com's `Default` tracker when present, otherwise the tightest one,
 * because keeping under the tightest keeps under all of them.
 */
export function governingLimit(limits: AdvertisedLimit[]): AdvertisedLimit | null {
  const named = limits.find((l) => l.name === 'default');
  if (named) return named;
  return [...limits].sort((a, b) => (a.remaining ?? Infinity) - (b.remaining ?? Infinity))[0] ?? null;
}

export const DEFAULT_RATE_LIMIT_BACKOFF_MS = 60_000;
/** The default cap on an advertised reset (the server's `sync.maxRateLimitResetMs`). */
export const DEFAULT_MAX_RATE_LIMIT_RESET_MS = 900_000;

/**
 * A reset longer than this is not a plausible "seconds until the window ends" (an epoch timestamp sent by
 * mistake, a corrupted header): it is treated like garbage and the window is assumed instead of the cap.
 */
export const MAX_PLAUSIBLE_RESET_MS = MAX_TIMER_DELAY_MS;

/** How long a 429 keeps a key away, and how that was decided. */
export interface RateLimitWait {
  /** The wait applied: finite, in [0, maxResetMs]. */
  waitMs: number;
  /** What Cal.com advertised (longest valid Reset, or Retry-After), null when nothing valid was sent. */
  advertisedMs: number | null;
  /** The advertised reset was longer than the cap and was cut to it. */
  capped: boolean;
  /** Nothing valid was advertised (missing, garbage, negative, absurd): the rate-limit window was assumed. */
  fallback: boolean;
  /** The raw header values that were ignored as garbage, for the log (each cut to 64 characters, at most 8). */
  ignored: string[];
  maxResetMs: number;
}

export interface RateLimitWaitOptions {
  /** Longest wait honoured; defaults to 15 minutes. */
  maxResetMs?: number;
  /** Assumed when nothing valid is advertised; defaults to Cal.com's 60 s window. */
  windowMs?: number;
}

const resetHeader = /^x-ratelimit-reset(?:-.+)?$/i;

function secondsToMs(raw: string): number | null {
  const trimmed = raw.trim();
  // Plain decimal seconds only: "1e3", "0x10", "Infinity" are not what Cal.com sends.
  if (!/^\d{1,16}(?:\.\d{1,6})?$/.test(trimmed)) return null;
  const ms = Math.ceil(Number(trimmed) * 1000);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_PLAUSIBLE_RESET_MS ? ms : null;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * How long to stay away after a 429. Cal.com sends `X-RateLimit-Reset-<Name>` as seconds until the window or
 * block ends (docs/sync.md) and no Retry-After; a 429 means every tracker is blocked, so the longest valid Reset
 * is the one sure to be over. A Retry-After in seconds is honoured too, should a proxy add one. The result is
 * capped at `maxResetMs`; without any valid value the window (60 s) is assumed.
 */
export function rateLimitWait(headers: HeaderSource, options: RateLimitWaitOptions = {}): RateLimitWait {
  const maxResetMs = Math.min(
    positiveOr(options.maxResetMs, DEFAULT_MAX_RATE_LIMIT_RESET_MS),
    MAX_TIMER_DELAY_MS,
  );
  const windowMs = Math.min(positiveOr(options.windowMs, DEFAULT_RATE_LIMIT_BACKOFF_MS), maxResetMs);
  const valid: number[] = [];
  const ignored: string[] = [];
  for (const [header, raw] of headerEntries(headers)) {
    if (!resetHeader.test(header) && header.toLowerCase() !== 'retry-after') continue;
    const ms = secondsToMs(raw);
    if (ms === null) {
      if (ignored.length < 8) ignored.push(`${header}: ${raw.slice(0, 64)}`);
    } else valid.push(ms);
  }
  if (valid.length === 0) {
    return { waitMs: windowMs, advertisedMs: null, capped: false, fallback: true, ignored, maxResetMs };
  }
  const advertisedMs = Math.max(...valid);
  const capped = advertisedMs > maxResetMs;
  return {
    waitMs: capped ? maxResetMs : advertisedMs,
    advertisedMs,
    capped,
    fallback: false,
    ignored,
    maxResetMs,
  };
}

/** The wait after a 429 in ms, capped; see `rateLimitWait`. */
export function retryAfterFromHeaders(headers: HeaderSource, options: RateLimitWaitOptions = {}): number {
  return rateLimitWait(headers, options).waitMs;
}
