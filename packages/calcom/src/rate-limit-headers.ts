/** One named limit as advertised by `X-RateLimit-{Limit,Remaining,Reset}-<Name>` (API.md §4). */
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

/**
 * How long to stay away after a 429. Cal.com sends no Retry-After; a 429 means every tracker is blocked, so
 * the longest Reset is the one that is sure to be over. Without any, Cal.com's 60 s block is assumed.
 */
export function retryAfterFromHeaders(headers: HeaderSource): number {
  const resets = parseAdvertisedLimits(headers).flatMap((l) => (l.resetMs === null ? [] : [l.resetMs]));
  return resets.length > 0 ? Math.max(...resets) : DEFAULT_RATE_LIMIT_BACKOFF_MS;
}
