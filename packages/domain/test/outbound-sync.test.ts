import { describe, expect, it } from 'vitest';
import {
  defaultRetryPolicy,
  nextPush,
  retryDelayMs,
  type ServiceEvent,
  toCalcomValues,
} from '../src/index.js';
import { edit, recordFailure, recordSuccess, requestSync } from './service-commands.js';
import {
  EVENT_TYPE_ID,
  haircut,
  haircutWith,
  linked,
  minute,
  registered,
  SERVICE_ID,
  syncedHaircut,
  syncFailed,
  syncRequested,
  TEAM_ID,
} from './service-facts.js';
import { given, stateAfter } from './service-spec.js';

const linkedAndRequested = [
  registered(),
  linked(),
  syncRequested('s1', haircut, { trigger: 'link' }),
] as const;

describe('a push that Cal.com accepts (docs/sync.md)', () => {
  it('a success of the current request makes the service synced', () => {
    const state = given(...linkedAndRequested)
      .when(recordSuccess('s1', haircut, { at: minute(2) }))
      .state();
    expect(state.status).toBe('synced');
    expect(state.sync.lastSuccessAt).toBe(minute(2));
    expect(state.sync.lastAttemptAt).toBe(minute(2));
    expect(state.lastPushed).toEqual(toCalcomValues(haircut));
    expect(nextPush(state)).toBeNull();
  });

  it('a success records how many attempts the request took, counting the failed ones', () => {
    const [event] = given(
      ...linkedAndRequested,
      syncFailed('s1', 'transient'),
      syncFailed('s1', 'rate_limited', { attempt: 2 }),
    )
      .when(recordSuccess('s1'))
      .events();
    expect(event).toMatchObject({ type: 'SyncSucceeded', data: { attempts: 3, durationMs: 120 } });
  });

  it('a success recorded twice is recorded once', () => {
    given(...syncedHaircut())
      .when(recordSuccess('sync-link'))
      .thenNothing();
  });

  it('a success of a create links the service to the event type Cal.com created', () => {
    const events = given(registered(), syncRequested('s1', haircut, { operation: 'create', trigger: 'link' }))
      .when(recordSuccess('s1', haircut, { eventTypeId: 3003 }))
      .events();
    expect(events.map((event) => event.type).sort()).toEqual(['CalcomLinked', 'SyncSucceeded']);
    expect(events.find((event) => event.type === 'CalcomLinked')?.data).toMatchObject({
      teamId: TEAM_ID,
      eventTypeId: 3003,
    });
  });

  it('after a create, what Cal.com confirmed is the baseline for divergence', () => {
    const state = given(registered(), syncRequested('s1', haircut, { operation: 'create', trigger: 'link' }))
      .when(recordSuccess('s1', haircut, { eventTypeId: 3003 }))
      .state();
    expect(state.status).toBe('synced');
    expect(state.link).toEqual({ teamId: TEAM_ID, eventTypeId: 3003 });
    expect(state.lastPushed).toEqual(toCalcomValues(haircut));
  });

  it('a success for a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given().when(recordSuccess('s1')).thenFails('SERVICE_NOT_FOUND');
  });
});

describe('coalescing: only the newest values are pushed (docs/sync.md)', () => {
  it('a burst of edits keeps only the newest request pending (coalescing)', () => {
    let history: ServiceEvent[] = [...syncedHaircut()];
    for (let duration = 31; duration <= 40; duration++) {
      history = [
        ...history,
        ...given(...history)
          .when(edit({ durationMinutes: duration }, { syncId: `e${duration}` }))
          .events(),
      ];
    }
    const plan = nextPush(stateAfter(...history));
    expect(plan).toMatchObject({ syncId: 'e40', attempt: 1, notBefore: null, eventTypeId: EVENT_TYPE_ID });
    expect(plan?.values.lengthInMinutes).toBe(40);
  });

  it('a success of a superseded request moves the baseline but keeps the newer request pending', () => {
    const newer = haircutWith({ durationMinutes: 45 });
    const state = given(...linkedAndRequested, syncRequested('s2', newer))
      .when(recordSuccess('s1', haircut))
      .state();
    expect(state.lastPushed).toEqual(toCalcomValues(haircut));
    expect(state.status).toBe('pending');
    expect(nextPush(state)).toMatchObject({ syncId: 's2', values: { lengthInMinutes: 45 } });
  });

  it('a success of a superseded request counts as its own single attempt', () => {
    const [event] = given(...linkedAndRequested, syncFailed('s1', 'transient'), syncRequested('s2', haircut))
      .when(recordSuccess('s1'))
      .events();
    expect(event).toMatchObject({ type: 'SyncSucceeded', data: { attempts: 1 } });
  });

  it('a failure of a superseded request does not disturb the newer one', () => {
    const state = given(...linkedAndRequested, syncRequested('s2', haircutWith({ durationMinutes: 45 })))
      .when(recordFailure('s1', 'rejected', { httpStatus: 400, retryAt: null }))
      .state();
    expect(state.status).toBe('pending');
    expect(nextPush(state)).toMatchObject({ syncId: 's2', attempt: 1, notBefore: null });
    expect(state.sync.lastError).toMatchObject({ kind: 'rejected' });
  });
});

describe('a push that fails (docs/sync.md)', () => {
  it('a transient failure schedules a retry and stays pending', () => {
    const state = given(...linkedAndRequested)
      .when(recordFailure('s1', 'transient', { retryAt: minute(5), at: minute(2) }))
      .state();
    expect(state.status).toBe('pending');
    expect(state.sync.nextRetryAt).toBe(minute(5));
    expect(nextPush(state)).toMatchObject({ syncId: 's1', attempt: 2, notBefore: minute(5) });
  });

  it('lastAttemptAt and lastSuccessAt move separately', () => {
    const state = given(...syncedHaircut(), syncRequested('s2', haircutWith({ durationMinutes: 45 })))
      .when(recordFailure('s2', 'transient', { at: minute(9) }))
      .state();
    expect(state.sync.lastAttemptAt).toBe(minute(9));
    expect(state.sync.lastSuccessAt).toBe(minute(0));
  });

  it('rejected is final at once, with Cal.com message, whatever retry time is offered', () => {
    const [event] = given(...linkedAndRequested)
      .when(
        recordFailure('s1', 'rejected', {
          httpStatus: 400,
          message: 'slug already taken',
          retryAt: minute(5),
        }),
      )
      .events();
    expect(event).toMatchObject({
      type: 'SyncFailed',
      data: {
        kind: 'rejected',
        httpStatus: 400,
        message: 'slug already taken',
        final: true,
        retryAt: null,
        attempt: 1,
      },
    });
    const state = stateAfter(...linkedAndRequested, event!);
    expect(state.status).toBe('error');
    expect(state.sync.lastError).toEqual({
      kind: 'rejected',
      httpStatus: 400,
      message: 'slug already taken',
    });
    expect(nextPush(state)).toBeNull();
  });

  it('a failure without a retry time is final: the retries are used up', () => {
    const state = given(...linkedAndRequested, syncFailed('s1', 'transient'))
      .when(recordFailure('s1', 'transient', { retryAt: null }))
      .state();
    expect(state.status).toBe('error');
    expect(state.sync.attempts).toBe(2);
  });

  it('a 404 on push marks the event type missing (orphaned) and leaves isActive untouched', () => {
    const events = given(...syncedHaircut(), syncRequested('s2', haircutWith({ durationMinutes: 45 })))
      .when(
        recordFailure('s2', 'not_found', {
          httpStatus: 404,
          message: 'Event type not found',
          retryAt: minute(5),
        }),
      )
      .events();
    expect(events.map((event) => event.type)).toEqual(['SyncFailed', 'CalcomEventTypeMissing']);
    expect(events[0]).toMatchObject({ data: { final: true } });
    expect(events[1]).toMatchObject({ data: { eventTypeId: EVENT_TYPE_ID, evidence: 'push_not_found' } });
    const state = stateAfter(
      ...syncedHaircut(),
      syncRequested('s2', haircutWith({ durationMinutes: 45 })),
      ...events,
    );
    expect(state.status).toBe('orphaned');
    expect(state.fields?.isActive).toBe(true);
    expect(state.link).toEqual({ teamId: TEAM_ID, eventTypeId: EVENT_TYPE_ID });
    expect(nextPush(state)).toBeNull();
  });

  it('a failure for a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given().when(recordFailure('s1', 'transient')).thenFails('SERVICE_NOT_FOUND');
  });
});

describe('asking for a push now (docs/http-contract.md POST /v1/services/:id/sync)', () => {
  it('a manual sync asks Cal.com to hold the current values', () => {
    const events = given(...syncedHaircut())
      .when(requestSync('m1'))
      .events();
    expect(events).toMatchObject([{ type: 'SyncRequested', data: { syncId: 'm1', trigger: 'manual' } }]);
  });

  it('a reconciliation may request a push with its own trigger', () => {
    const events = given(...syncedHaircut())
      .when(requestSync('r1', { trigger: 'reconcile' }))
      .events();
    expect(events).toMatchObject([{ type: 'SyncRequested', data: { trigger: 'reconcile' } }]);
  });

  it('a service that is not linked cannot be pushed (NOT_LINKED)', () => {
    given(registered()).when(requestSync()).thenFails('NOT_LINKED');
  });

  it('a service that does not exist cannot be pushed (SERVICE_NOT_FOUND)', () => {
    given().when(requestSync()).thenFails('SERVICE_NOT_FOUND');
  });
});

describe('the push plan of the outbound process manager (docs/sync.md)', () => {
  it('a service with nothing requested needs no push', () => {
    expect(nextPush(stateAfter(...syncedHaircut()))).toBeNull();
    expect(nextPush(stateAfter())).toBeNull();
  });

  it('a create is planned without an event type id', () => {
    const plan = nextPush(stateAfter(registered(), syncRequested('s1', haircut, { operation: 'create' })));
    expect(plan).toEqual({
      syncId: 's1',
      operation: 'create',
      teamId: TEAM_ID,
      eventTypeId: null,
      values: toCalcomValues(haircut),
      attempt: 1,
      notBefore: null,
    });
  });

  it(`the plan of ${SERVICE_ID} pushes values without price and never "length"`, () => {
    const plan = nextPush(stateAfter(...linkedAndRequested));
    expect(plan?.values).not.toHaveProperty('price');
    expect(plan?.values).not.toHaveProperty('currency');
    expect(plan?.values).not.toHaveProperty('length');
    expect(plan?.values.lengthInMinutes).toBe(30);
  });
});

describe('retry backoff (docs/sync.md)', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 10_000 };

  it('rate_limited and transient failures back off exponentially, jitter within the upper half', () => {
    expect(retryDelayMs('transient', 1, policy, 0)).toBe(500);
    expect(retryDelayMs('transient', 1, policy, 0.99)).toBe(995);
    expect(retryDelayMs('transient', 2, policy, 0)).toBe(1000);
    expect(retryDelayMs('rate_limited', 3, policy, 0)).toBe(2000);
    expect(retryDelayMs('transient', 4, policy, 1)).toBe(8000);
  });

  it('the delay never exceeds the configured maximum', () => {
    const wide = { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 10_000 };
    expect(retryDelayMs('transient', 40, wide, 1)).toBe(10_000);
  });

  it('a jitter outside [0, 1] is clamped', () => {
    expect(retryDelayMs('transient', 1, policy, -3)).toBe(500);
    expect(retryDelayMs('transient', 1, policy, 7)).toBe(1000);
  });

  it("a rate limit is honoured: never earlier than Cal.com's reset", () => {
    expect(retryDelayMs('rate_limited', 1, policy, 0, 60_000)).toBe(60_000);
    expect(retryDelayMs('rate_limited', 1, policy, 0, 10)).toBe(500);
  });

  it('after the configured number of attempts the failure is final', () => {
    expect(retryDelayMs('transient', 4, policy, 0)).not.toBeNull();
    expect(retryDelayMs('transient', 5, policy, 0)).toBeNull();
  });

  it.each(['rejected', 'unauthorized', 'not_found'] as const)(
    'a %s failure is never retried per service',
    (kind) => {
      expect(retryDelayMs(kind, 1, defaultRetryPolicy, 0.5)).toBeNull();
    },
  );

  it('the default policy is the configuration default of docs/operations.md', () => {
    expect(defaultRetryPolicy).toEqual({ maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 300_000 });
  });
});
