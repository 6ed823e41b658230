import { describe, expect, it } from 'vitest';
import { deriveStatus, initialState, type ServiceState, type SyncStatus, statusView } from '../src/index.js';
import {
  calcomShows,
  diverged,
  EVENT_TYPE_ID,
  edited,
  eventTypeMissing,
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
import { stateAfter } from './service-spec.js';

const rateLimited = {
  paused: null,
  rateLimited: {
    key: 'sha256:0123456789ab',
    until: minute(15),
    advertisedResetMs: 3_600_000,
    appliedResetMs: 900_000,
    capped: true,
    maxResetMs: 900_000,
  },
};

const paused = { paused: { since: minute(3), message: '401 Unauthorized: invalid API key' } };

const priceDivergence = diverged(
  [
    {
      field: 'price',
      platform: { amount: 3500, currency: 'EUR' },
      calcom: { amount: 3900, currency: 'EUR' },
    },
  ],
  calcomShows(haircut, { price: 3900 }),
  { at: minute(4), source: 'webhook' },
);

/** One reachable state per sync status. */
const statesByStatus: Record<SyncStatus, ServiceState> = {
  never: stateAfter(registered()),
  pending: stateAfter(registered(), linked(), syncRequested('s1')),
  synced: stateAfter(...syncedHaircut()),
  error: stateAfter(
    registered(),
    linked(),
    syncRequested('s1'),
    syncFailed('s1', 'rejected', { retryAt: null }),
  ),
  diverged: stateAfter(...syncedHaircut(), priceDivergence),
  orphaned: stateAfter(...syncedHaircut(), eventTypeMissing()),
};

describe('the status view of a service (docs/status.md, docs/http-contract.md ServiceView)', () => {
  it('a synced, active service is bookable, with no reasons against it and nothing to do', () => {
    const view = statusView(statesByStatus.synced);
    expect(view).toMatchObject({
      serviceId: SERVICE_ID,
      companyId: 'acme',
      revision: 4,
      fields: haircut,
      calcom: { eventTypeId: EVENT_TYPE_ID, teamId: TEAM_ID },
      sync: {
        status: 'synced',
        direction: 'platform→calcom',
        lastAttemptAt: minute(0),
        lastSuccessAt: minute(0),
        lastError: null,
        attempts: 1,
        nextRetryAt: null,
      },
      divergence: null,
      bookable: true,
      notBookableReasons: [],
      nextAction: null,
    });
  });

  it('an inactive service is not bookable even when synced, and says how to activate it', () => {
    const view = statusView(stateAfter(...syncedHaircut(haircutWith({ isActive: false }))));
    expect(view.sync.status).toBe('synced');
    expect(view.bookable).toBe(false);
    expect(view.notBookableReasons).toEqual([
      { code: 'INACTIVE', message: 'The service is inactive on the platform.' },
    ]);
    expect(view.nextAction?.code).toBe('ACTIVATE');
  });

  it.each(['never', 'pending', 'error', 'diverged', 'orphaned'] as const)(
    'a %s service is not bookable and names why',
    (status) => {
      const view = statusView(statesByStatus[status]);
      expect(view.sync.status).toBe(status);
      expect(view.bookable).toBe(false);
      expect(view.notBookableReasons.length).toBeGreaterThan(0);
    },
  );

  it.each(Object.keys(statesByStatus) as SyncStatus[])(
    'a %s service has a status message a person can read',
    (status) => {
      const view = statusView(statesByStatus[status]);
      expect(view.sync.message.length).toBeGreaterThan(20);
      for (const reason of view.notBookableReasons) expect(reason.message.length).toBeGreaterThan(10);
    },
  );

  it('the direction is always platform → Cal.com', () => {
    for (const state of Object.values(statesByStatus)) {
      expect(statusView(state).sync.direction).toBe('platform→calcom');
    }
  });

  it('a service that is not linked says to link it', () => {
    const view = statusView(statesByStatus.never);
    expect(view.calcom).toBeNull();
    expect(view.notBookableReasons.map((reason) => reason.code)).toEqual(['NOT_LINKED']);
    expect(view.nextAction).toEqual({ code: 'LINK_EVENT_TYPE' });
  });

  it('a service waiting for its event type to be created shows the team, and no event type yet', () => {
    const view = statusView(stateAfter(registered(), syncRequested('s1', haircut, { operation: 'create' })));
    expect(view.calcom).toEqual({ eventTypeId: null, teamId: TEAM_ID });
    expect(view.sync.message).toMatch(/created in Cal\.com/);
    expect(view.nextAction).toBeNull();
  });

  it('a pending service waits for its push, with nothing for an admin to do', () => {
    const view = statusView(statesByStatus.pending);
    expect(view.sync.message).toMatch(/waiting to be pushed/);
    expect(view.notBookableReasons.map((reason) => reason.code)).toEqual(['SYNC_PENDING']);
    expect(view.nextAction).toBeNull();
  });

  it('a retrying service shows the failure, the attempts and the next retry time', () => {
    const state = stateAfter(
      registered(),
      linked(),
      syncRequested('s1'),
      syncFailed('s1', 'rate_limited', { httpStatus: 429, message: 'Too Many Requests', retryAt: minute(2) }),
    );
    const view = statusView(state);
    expect(view.sync).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextRetryAt: minute(2),
      lastError: { kind: 'rate_limited', httpStatus: 429, message: 'Too Many Requests' },
      lastSuccessAt: null,
    });
    expect(view.sync.message).toBe('Retrying after a rate limited failure (Too Many Requests).');
  });

  it('a service in error names the error and says to reset after fixing the cause', () => {
    const view = statusView(statesByStatus.error);
    expect(view.sync.lastError).toMatchObject({ kind: 'rejected' });
    expect(view.notBookableReasons[0]).toMatchObject({
      code: 'SYNC_ERROR',
      message: expect.stringMatching(/Service Unavailable/),
    });
    expect(view.nextAction).toEqual({ code: 'RESET_SYNC_STATUS' });
  });

  it('a diverged service shows the open divergence with both values per field, not the raw snapshot', () => {
    const view = statusView(statesByStatus.diverged);
    expect(view.divergence).toEqual({
      detectedAt: minute(4),
      source: 'webhook',
      fields: [
        {
          field: 'price',
          platform: { amount: 3500, currency: 'EUR' },
          calcom: { amount: 3900, currency: 'EUR' },
        },
      ],
    });
    expect(view.nextAction).toEqual({ code: 'RESOLVE_DIVERGENCE', priceOnly: true });
  });

  it('a divergence of values the API can write says to decide per field', () => {
    const snapshot = calcomShows(haircutWith({ name: 'Anders' }));
    const state = stateAfter(
      ...syncedHaircut(),
      diverged([{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Anders' }], snapshot),
    );
    expect(statusView(state).nextAction).toEqual({ code: 'RESOLVE_DIVERGENCE', priceOnly: false });
  });

  it('an orphaned service names the missing event type', () => {
    expect(statusView(statesByStatus.orphaned).sync.message).toContain(String(EVENT_TYPE_ID));
  });

  it('when Cal.com rejects the team credentials, waiting services say so and point at the credentials', () => {
    const view = statusView(statesByStatus.pending, paused);
    expect(view.sync.message).toMatch(/paused/);
    expect(view.notBookableReasons.map((reason) => reason.code)).toEqual([
      'SYNC_PENDING',
      'TEAM_SYNC_PAUSED',
    ]);
    expect(view.nextAction?.code).toBe('FIX_CALCOM_CREDENTIALS');
    expect(statusView(statesByStatus.error, paused).nextAction?.code).toBe('FIX_CALCOM_CREDENTIALS');
  });

  it('a service waiting behind a rate-limited key says why and until when, and shows the capped reset', () => {
    const view = statusView(statesByStatus.pending, rateLimited);
    expect(view.sync.nextRetryAt).toBe(minute(15));
    expect(view.sync.waiting).toEqual({
      reason: 'rate_limited',
      until: minute(15),
      message: expect.stringContaining('capped at 900 s by sync.maxRateLimitResetMs'),
      advertisedResetMs: 3_600_000,
      appliedResetMs: 900_000,
      capped: true,
    });
    expect(view.sync.message).toContain('Cal.com advertised 3600 s');
    expect(view.notBookableReasons.map((reason) => reason.code)).toEqual([
      'SYNC_PENDING',
      'CALCOM_RATE_LIMITED',
    ]);
  });

  it('a service’s own later retry time wins over its team’s rate-limit wait', () => {
    const failing = stateAfter(registered(), linked(), syncRequested('s1'), syncFailed('s1', 'transient'));
    const view = statusView(failing, rateLimited);
    expect(view.sync.nextRetryAt).toBe(minute(30));
    expect(view.sync.waiting?.until).toBe(minute(15));
  });

  it('a rate-limit wait with no readable reset says the window was assumed', () => {
    const window = {
      paused: null,
      rateLimited: {
        ...rateLimited.rateLimited,
        advertisedResetMs: null,
        appliedResetMs: 60_000,
        capped: false,
      },
    };
    expect(statusView(statesByStatus.pending, window).sync.waiting?.message).toContain(
      '60 s window is assumed',
    );
  });

  it('a rate-limited key changes nothing for a service with nothing to push', () => {
    for (const status of ['synced', 'error', 'diverged', 'never'] as const) {
      const view = statusView(statesByStatus[status], rateLimited);
      expect(view.sync.waiting).toBeNull();
      expect(view.sync.nextRetryAt).toBe(statusView(statesByStatus[status]).sync.nextRetryAt);
    }
  });

  it('a paused team does not make a synced service less bookable', () => {
    expect(statusView(statesByStatus.synced, paused)).toMatchObject({
      bookable: true,
      notBookableReasons: [],
    });
  });

  it('the revision counts the events of the stream', () => {
    expect(
      statusView(stateAfter(...syncedHaircut(), edited([{ field: 'category', from: null, to: 'Herren' }])))
        .revision,
    ).toBe(5);
  });

  it('"since" is the time the status last changed, not the last event', () => {
    const state = stateAfter(
      registered(),
      linked(undefined, { at: minute(1) }),
      syncRequested('s1', haircut, { at: minute(1) }),
      syncFailed('s1', 'transient', { at: minute(2) }),
      syncFailed('s1', 'transient', { at: minute(3), attempt: 2 }),
    );
    const view = statusView(state);
    expect(view.sync.since).toBe(minute(1));
    expect(view.updatedAt).toBe(minute(3));
    expect(view.registeredAt).toBe(minute(0));
  });

  it('the view of a service that does not exist is a bug, not a state', () => {
    expect(() => statusView(initialState())).toThrow(/does not exist/);
  });

  it('the status is derived in order of what needs a person most', () => {
    const both = stateAfter(...syncedHaircut(), priceDivergence, eventTypeMissing());
    expect(both.status).toBe('orphaned');
    expect(deriveStatus(both)).toBe('orphaned');
  });
});
