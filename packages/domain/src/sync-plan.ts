import type { CalcomValues } from './calcom-mapping.js';
import type { SyncFailureKind, SyncOperation } from './events.js';
import type { ServiceState } from './service-state.js';

/** The one push a service needs now, as the outbound process manager executes it. */
export interface PushPlan {
  syncId: string;
  operation: SyncOperation;
  teamId: number;
  eventTypeId: number | null;
  values: CalcomValues;
  /** 1-based number of this attempt. */
  attempt: number;
  /** Not before this time (a scheduled retry); null: now. */
  notBefore: string | null;
}

/**
 * The push a service is waiting for, or null. Pushes are held while a divergence is open or
 * the event type is missing: pushing then would overwrite Cal.com unseen, or hit a 404.
 */
export function nextPush(state: ServiceState): PushPlan | null {
  const request = state.sync.requested;
  if (!state.exists || !request || state.divergence || state.missing) return null;
  return {
    syncId: request.syncId,
    operation: request.operation,
    teamId: request.teamId,
    eventTypeId: request.operation === 'update' ? (state.link?.eventTypeId ?? request.eventTypeId) : null,
    values: request.values,
    attempt: state.sync.failedAttempts + 1,
    notBefore: state.sync.nextRetryAt,
  };
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 300_000 };

/**
 * When to try again after a failed attempt, or null when the failure is final (docs/sync.md).
 * `jitter` in [0, 1) comes from the caller, so this stays a pure function. Rate limits are
 * honoured: never earlier than Cal.com's reset.
 */
export function retryDelayMs(
  kind: SyncFailureKind,
  attempt: number,
  policy: RetryPolicy,
  jitter: number,
  rateLimitResetMs: number | null = null,
): number | null {
  if (kind !== 'rate_limited' && kind !== 'transient') return null;
  if (attempt >= policy.maxAttempts) return null;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  // Full jitter on the upper half keeps retries spread without ever retrying at once.
  const delay = Math.round(exponential / 2 + (exponential / 2) * Math.min(Math.max(jitter, 0), 1));
  return Math.max(delay, rateLimitResetMs ?? 0);
}
