import type { RateLimitWait } from './rate-limit-headers.js';

/** How a Cal.com call failed; the sync process manager picks its retry policy from this alone. */
export type CalcomFailureKind = 'rate_limited' | 'transient' | 'rejected' | 'unauthorized' | 'not_found';

export interface CalcomError {
  code: 'CALCOM.FAILURE';
  kind: CalcomFailureKind;
  /** null when no HTTP response arrived (network error, timeout). */
  httpStatus: number | null;
  /** Cal.com's own message, or a description of the network error. */
  message: string;
  /** Only for rate_limited: how long Cal.com asked us to stay away. */
  retryAfterMs: number | null;
  /** Only for rate_limited: what Cal.com advertised and whether it was capped or replaced by the window. */
  rateLimitWait?: RateLimitWait;
}

export function calcomFailure(
  kind: CalcomFailureKind,
  message: string,
  httpStatus: number | null = null,
  retryAfterMs: number | null = null,
): CalcomError {
  return { code: 'CALCOM.FAILURE', kind, httpStatus, message, retryAfterMs };
}

/** Maps a non-2xx HTTP status to the failure kind the contract (docs/calcom.md) implies. */
export function failureKindForStatus(status: number): CalcomFailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  // 408 and every 5xx say nothing about the request itself: trying again can succeed.
  if (status === 408 || status >= 500) return 'transient';
  return 'rejected';
}
