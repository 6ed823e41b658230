import {
  type CalcomError,
  clampTimerDelay,
  DEFAULT_RATE_LIMIT_BACKOFF_MS,
  type NotTakenField,
  type WriteOutcome,
} from '@calsync/calcom';
import {
  type PushPlan,
  type RecordSyncFailed,
  type RecordSyncSucceeded,
  type RetryPolicy,
  retryDelayMs,
} from '@calsync/domain';
import type { Result } from 'neverthrow';

/** What the process manager knows besides the call's result. */
export interface VerdictContext {
  serviceId: string;
  companyId: string;
  /** When the outcome is recorded. */
  now: Date;
  durationMs: number;
  policy: RetryPolicy;
  /** In [0, 1): spreads retries of many services apart. */
  jitter: number;
}

export interface PushVerdict {
  command: RecordSyncSucceeded | RecordSyncFailed;
  /** Cal.com refused the team's credentials: pause the whole team. */
  pausesTeam: boolean;
  /**
   * A create succeeded but not every value took: the new event type is linked by the success,
   * and an update push must follow, so that the fields that did not take are reported.
   */
  needsFollowUpPush: boolean;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Names every field Cal.com answered with another value than the one sent. */
export function describeNotTaken(fields: readonly NotTakenField[]): string {
  const list = fields.map((f) => `${f.field} (sent ${show(f.sent)}, Cal.com holds ${show(f.received)})`);
  return `Cal.com accepted the update but did not take ${list.join('; ')}.`;
}

function failed(
  plan: PushPlan,
  context: VerdictContext,
  failure: Pick<RecordSyncFailed, 'kind' | 'httpStatus' | 'message' | 'retryAt'>,
): RecordSyncFailed {
  return {
    type: 'RecordSyncFailed',
    serviceId: context.serviceId,
    companyId: context.companyId,
    actor: 'system:sync',
    at: context.now.toISOString(),
    syncId: plan.syncId,
    ...failure,
  };
}

/** The retry time of a rate-limited or transient failure, or null once attempts are used up. */
function retryAtFor(plan: PushPlan, error: CalcomError, context: VerdictContext): string | null {
  const delay = retryDelayMs(error.kind, plan.attempt, context.policy, context.jitter, error.retryAfterMs);
  if (delay === null) return null;
  // Bounded like every timer of the sync: an absurd delay can neither overflow a Date nor a timer.
  return new Date(
    context.now.getTime() + clampTimerDelay(delay, DEFAULT_RATE_LIMIT_BACKOFF_MS),
  ).toISOString();
}

/** What the wait after a 429 was based on, when it was not simply Cal.com's advertised reset. */
function rateLimitNote(error: CalcomError): string {
  const wait = error.rateLimitWait;
  if (!wait) return '';
  const s = (ms: number) => `${Math.ceil(ms / 1000)} s`;
  if (wait.capped && wait.advertisedMs !== null)
    return ` (Cal.com advertised a reset of ${s(wait.advertisedMs)}; capped at ${s(wait.maxResetMs)} by sync.maxRateLimitResetMs)`;
  if (wait.fallback)
    return ` (no readable rate-limit reset was sent; the ${s(wait.waitMs)} window was assumed)`;
  return '';
}

function failureVerdict(plan: PushPlan, error: CalcomError, context: VerdictContext): PushVerdict {
  const retryable = error.kind === 'rate_limited' || error.kind === 'transient';
  const retryAt = retryable ? retryAtFor(plan, error, context) : null;
  const cause = `${error.message}${rateLimitNote(error)}`;
  const message =
    retryable && retryAt === null
      ? `${cause} (gave up after ${plan.attempt} attempt${plan.attempt === 1 ? '' : 's'})`
      : cause;
  return {
    command: failed(plan, context, { kind: error.kind, httpStatus: error.httpStatus, message, retryAt }),
    pausesTeam: error.kind === 'unauthorized',
    needsFollowUpPush: false,
  };
}

/**
 * Turns the answer to one push into the command that records it (docs/sync.md): success; or a
 * failure that is retried with backoff (rate_limited, transient), final at once (rejected,
 * not_found, unauthorized), or final because Cal.com silently did not take a value.
 */
export function pushVerdict(
  plan: PushPlan,
  result: Result<WriteOutcome, CalcomError>,
  context: VerdictContext,
): PushVerdict {
  if (result.isErr()) return failureVerdict(plan, result.error, context);
  const { eventType, notTaken } = result.value;
  if (notTaken.length > 0 && plan.operation === 'update') {
    return {
      command: failed(plan, context, {
        kind: 'rejected',
        httpStatus: 200,
        message: describeNotTaken(notTaken),
        retryAt: null,
      }),
      pausesTeam: false,
      needsFollowUpPush: false,
    };
  }
  return {
    command: {
      type: 'RecordSyncSucceeded',
      serviceId: context.serviceId,
      companyId: context.companyId,
      actor: 'system:sync',
      at: context.now.toISOString(),
      syncId: plan.syncId,
      eventTypeId: eventType.id,
      pushed: plan.values,
      durationMs: context.durationMs,
    },
    pausesTeam: false,
    needsFollowUpPush: notTaken.length > 0,
  };
}
