import { describe, expect, it } from 'vitest';
import { nextPush, statusView } from '../src/index.js';
import {
  edit,
  link,
  markMissing,
  requestSync,
  resetSyncStatus,
  resolve,
  unlink,
} from './service-commands.js';
import {
  calcomShows,
  diverged,
  EVENT_TYPE_ID,
  eventTypeMissing,
  haircut,
  haircutWith,
  linked,
  minute,
  registered,
  syncedHaircut,
  syncFailed,
  syncRequested,
  syncStatusReset,
  TEAM_ID,
  unlinked,
} from './service-facts.js';
import { given, stateAfter } from './service-spec.js';

describe('an event type that is gone from Cal.com (docs/events.md, docs/sync.md)', () => {
  it('a deletion webhook marks the event type missing (orphaned) and leaves isActive untouched', () => {
    const outcome = given(...syncedHaircut()).when(markMissing('webhook_deleted', { at: minute(5) }));
    const [event] = outcome.events();
    expect(event).toMatchObject({
      type: 'CalcomEventTypeMissing',
      data: {
        actor: 'calcom:webhook',
        teamId: TEAM_ID,
        eventTypeId: EVENT_TYPE_ID,
        evidence: 'webhook_deleted',
      },
    });
    const state = outcome.state();
    expect(state.status).toBe('orphaned');
    expect(state.statusSince).toBe(minute(5));
    expect(state.fields).toEqual(haircut);
    expect(state.link).toEqual({ teamId: TEAM_ID, eventTypeId: EVENT_TYPE_ID });
    expect(statusView(state)).toMatchObject({
      bookable: false,
      notBookableReasons: [{ code: 'ORPHANED' }],
      nextAction: { code: 'RELINK_OR_RESET' },
    });
  });

  it('a reconciliation marks the event type missing after N consecutive misses, with the count', () => {
    const [event] = given(...syncedHaircut())
      .when(markMissing('reconciliation', { consecutiveMisses: 3 }))
      .events();
    expect(event).toMatchObject({ data: { evidence: 'reconciliation', consecutiveMisses: 3 } });
  });

  it('an event type already missing is not marked again', () => {
    given(...syncedHaircut(), eventTypeMissing())
      .when(markMissing('webhook_deleted'))
      .thenNothing();
  });

  it('another event type than the linked one is not marked missing (EVENT_TYPE_MISMATCH)', () => {
    given(...syncedHaircut())
      .when(markMissing('webhook_deleted', { eventTypeId: 7 }))
      .thenFails('EVENT_TYPE_MISMATCH');
    given(registered()).when(markMissing('webhook_deleted')).thenFails('EVENT_TYPE_MISMATCH');
  });

  it('a missing event type of a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given().when(markMissing('reconciliation')).thenFails('SERVICE_NOT_FOUND');
  });

  it('pushes are held while the event type is missing', () => {
    const history = [...syncedHaircut(), eventTypeMissing()];
    const events = given(...history)
      .when(edit({ durationMinutes: 45 }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited']);
    given(...history)
      .when(requestSync())
      .thenFails('EVENT_TYPE_MISSING');
  });

  it('a request waiting when the event type goes missing is dropped, not pushed into a 404', () => {
    const state = stateAfter(...syncedHaircut(), syncRequested('s2', haircut), eventTypeMissing());
    expect(state.sync.requested).toBeNull();
    expect(nextPush(state)).toBeNull();
  });

  it('relinking an orphaned service to an existing event type pushes the current values there', () => {
    const history = [...syncedHaircut(), eventTypeMissing()];
    const held = given(...history)
      .when(edit({ durationMinutes: 45 }))
      .events();
    const state = given(...history, ...held)
      .when(link(2002, { syncId: 's-relink' }))
      .state();
    expect(state.status).toBe('pending');
    expect(state.missing).toBeNull();
    expect(nextPush(state)).toMatchObject({
      syncId: 's-relink',
      eventTypeId: 2002,
      values: { lengthInMinutes: 45 },
    });
  });

  it('relinking to the same event type that went missing links it again and pushes', () => {
    const events = given(...syncedHaircut(), eventTypeMissing())
      .when(link())
      .events();
    expect(events.map((event) => event.type)).toEqual(['CalcomLinked', 'SyncRequested']);
  });

  it('a resolution while the event type is missing decides but pushes nothing', () => {
    const snapshot = calcomShows(haircutWith({ name: 'Anders' }));
    const history = [
      ...syncedHaircut(),
      diverged([{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Anders' }], snapshot),
      eventTypeMissing(),
    ];
    const events = given(...history)
      .when(resolve({ name: 'keep_platform' }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['DivergenceResolved']);
  });
});

describe('resetting the sync status (docs/http-contract.md POST /v1/services/:id/sync-status/reset)', () => {
  const failedFinally = [
    ...syncedHaircut(),
    syncRequested('s2', haircut),
    syncFailed('s2', 'rejected', { retryAt: null, httpStatus: 400, message: 'slug already taken' }),
  ];

  it('a reset clears an error and asks for a fresh push', () => {
    const outcome = given(...failedFinally).when(resetSyncStatus('s3'));
    expect(outcome.events()).toMatchObject([
      { type: 'SyncStatusReset', data: { previousStatus: 'error', previousError: 'slug already taken' } },
      { type: 'SyncRequested', data: { syncId: 's3', trigger: 'manual' } },
    ]);
    expect(outcome.state().status).toBe('pending');
  });

  it('a reset of an orphaned service clears the missing mark and pushes again', () => {
    const outcome = given(...syncedHaircut(), eventTypeMissing()).when(resetSyncStatus('s3'));
    expect(outcome.events()).toMatchObject([
      { type: 'SyncStatusReset', data: { previousStatus: 'orphaned', previousError: null } },
      { type: 'SyncRequested', data: { syncId: 's3', eventTypeId: EVENT_TYPE_ID } },
    ]);
    const state = outcome.state();
    expect(state.missing).toBeNull();
    expect(state.status).toBe('pending');
  });

  it('a reset of a service whose create was rejected asks for the create again', () => {
    const history = [
      registered(),
      syncRequested('s1', haircut, { operation: 'create' }),
      syncFailed('s1', 'rejected', { retryAt: null, httpStatus: 422 }),
    ];
    expect(stateAfter(...history).status).toBe('error');
    const events = given(...history)
      .when(resetSyncStatus('s2'))
      .events();
    expect(events[1]).toMatchObject({
      type: 'SyncRequested',
      data: { operation: 'create', eventTypeId: null },
    });
  });

  it('a reset of a service that has no error is refused (NOTHING_TO_RESET)', () => {
    given(...syncedHaircut())
      .when(resetSyncStatus())
      .thenFails('NOTHING_TO_RESET');
  });

  it('a reset of a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given().when(resetSyncStatus()).thenFails('SERVICE_NOT_FOUND');
  });

  it('a reset recorded in the stream lets the next request start from attempt 1', () => {
    const state = stateAfter(...failedFinally, syncStatusReset('error'), syncRequested('s3', haircut));
    expect(nextPush(state)).toMatchObject({ syncId: 's3', attempt: 1 });
  });
});

describe('unlinking (docs/events.md CalcomUnlinked)', () => {
  it('unlinking a service stops its sync: status never, nothing to push', () => {
    const outcome = given(...syncedHaircut(), syncRequested('s2', haircut)).when(unlink());
    expect(outcome.events()).toMatchObject([
      {
        type: 'CalcomUnlinked',
        data: { teamId: TEAM_ID, eventTypeId: EVENT_TYPE_ID, reason: 'moved to another team' },
      },
    ]);
    const state = outcome.state();
    expect(state.status).toBe('never');
    expect(state.lastPushed).toBeNull();
    expect(nextPush(state)).toBeNull();
    expect(statusView(state).nextAction?.code).toBe('LINK_EVENT_TYPE');
  });

  it('a service that is not linked cannot be unlinked (NOT_LINKED)', () => {
    given(registered()).when(unlink()).thenFails('NOT_LINKED');
    given(registered(), linked(), unlinked()).when(unlink()).thenFails('NOT_LINKED');
  });

  it('a service that does not exist cannot be unlinked (SERVICE_NOT_FOUND)', () => {
    given().when(unlink()).thenFails('SERVICE_NOT_FOUND');
  });
});
