import { type CalcomEventType, calcomFailure, MAX_TIMER_DELAY_MS, rateLimitWait } from '@calsync/calcom';
import { defaultFields, defaultRetryPolicy, type PushPlan, toCalcomValues } from '@calsync/domain';
import { err, ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { pushVerdict, type VerdictContext } from '../src/sync/push-verdict.js';

const values = toCalcomValues({
  ...defaultFields,
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
});
const plan: PushPlan = {
  syncId: 'sync-1',
  operation: 'update',
  teamId: 42,
  eventTypeId: 1001,
  values,
  attempt: 1,
  notBefore: null,
};
const now = new Date('2025-03-01T09:00:00.000Z');
const context: VerdictContext = {
  serviceId: 'haircut',
  companyId: 'acme',
  now,
  durationMs: 12,
  policy: defaultRetryPolicy,
  jitter: 0,
};
const held = { ...values, id: 1001, price: 0, currency: 'usd' } as unknown as CalcomEventType;

describe('push verdicts', () => {
  it('records what was pushed when Cal.com took everything', () => {
    const verdict = pushVerdict(plan, ok({ eventType: held, notTaken: [] }), context);
    expect(verdict).toEqual({
      command: expect.objectContaining({
        type: 'RecordSyncSucceeded',
        syncId: 'sync-1',
        eventTypeId: 1001,
        pushed: values,
        durationMs: 12,
        actor: 'system:sync',
      }),
      pausesTeam: false,
      needsFollowUpPush: false,
    });
  });

  it('never retries a rate-limited push before Cal.com lifts its block', () => {
    const blocked = calcomFailure('rate_limited', 'ThrottlerException: Too Many Requests', 429, 60_000);
    const verdict = pushVerdict(plan, err(blocked), context);
    expect(verdict.command).toMatchObject({ kind: 'rate_limited', retryAt: '2025-03-01T09:01:00.000Z' });
  });

  it('backs off exponentially on transient failures', () => {
    const down = calcomFailure('transient', 'Service Unavailable', 503);
    const third = pushVerdict({ ...plan, attempt: 3 }, err(down), context);
    // base 1 s × 2² on the upper half with no jitter: 2 s.
    expect(third.command).toMatchObject({ kind: 'transient', retryAt: '2025-03-01T09:00:02.000Z' });
  });

  it('is final once the attempts are used up, and says so', () => {
    const down = calcomFailure('transient', 'network error: fetch failed', null);
    const last = pushVerdict({ ...plan, attempt: defaultRetryPolicy.maxAttempts }, err(down), context);
    expect(last.command).toMatchObject({
      retryAt: null,
      message: 'network error: fetch failed (gave up after 10 attempts)',
    });
  });

  it("is final at once for a rejection, with Cal.com's message", () => {
    const rejected = calcomFailure('rejected', 'slug must be a string', 400);
    expect(pushVerdict(plan, err(rejected), context).command).toMatchObject({
      kind: 'rejected',
      httpStatus: 400,
      message: 'slug must be a string',
      retryAt: null,
    });
  });

  it('pauses the team when Cal.com refuses the key', () => {
    const refused = calcomFailure(
      'unauthorized',
      'RolesGuard - User is not a member of the team with id=42.',
      403,
    );
    const verdict = pushVerdict(plan, err(refused), context);
    expect(verdict.pausesTeam).toBe(true);
    expect(verdict.command).toMatchObject({ kind: 'unauthorized', retryAt: null });
  });

  it('reports a value Cal.com answered with but did not take as a final rejection', () => {
    const notTaken = [{ field: 'lengthInMinutes' as const, sent: 45, received: 30 }];
    expect(pushVerdict(plan, ok({ eventType: held, notTaken }), context).command).toMatchObject({
      kind: 'rejected',
      httpStatus: 200,
      retryAt: null,
      message: 'Cal.com accepted the update but did not take lengthInMinutes (sent 45, Cal.com holds 30).',
    });
  });

  it('links a created event type even when a value did not take, and asks for a push that reports it', () => {
    const create: PushPlan = { ...plan, operation: 'create', eventTypeId: null };
    const notTaken = [{ field: 'hidden' as const, sent: true, received: false }];
    const verdict = pushVerdict(create, ok({ eventType: { ...held, id: 2002 }, notTaken }), context);
    expect(verdict.command).toMatchObject({ type: 'RecordSyncSucceeded', eventTypeId: 2002 });
    expect(verdict.needsFollowUpPush).toBe(true);
  });
});

describe('push verdicts after a 429', () => {
  it('name the cap when Cal.com advertised a longer reset', () => {
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': '3600' }, { maxResetMs: 900_000 });
    const error = {
      ...calcomFailure('rate_limited', 'Too many requests', 429, wait.waitMs),
      rateLimitWait: wait,
    };
    const verdict = pushVerdict(plan, err(error), context);
    expect(verdict.command).toMatchObject({
      type: 'RecordSyncFailed',
      kind: 'rate_limited',
      retryAt: new Date(now.getTime() + 900_000).toISOString(),
    });
    expect(verdict.command.type === 'RecordSyncFailed' && verdict.command.message).toContain(
      'Cal.com advertised a reset of 3600 s; capped at 900 s by sync.maxRateLimitResetMs',
    );
  });

  it('never compute a retry time beyond what a timer can wait, whatever the delay asked for', () => {
    const error = calcomFailure('rate_limited', 'Too many requests', 429, 1e20);
    const verdict = pushVerdict(plan, err(error), context);
    const retryAt = verdict.command.type === 'RecordSyncFailed' ? verdict.command.retryAt : null;
    expect(Date.parse(retryAt ?? '') - now.getTime()).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
  });
});
