import { describe, expect, it } from 'vitest';
import { nextPush, SCHEMA_VERSION, toCalcomValues } from '../src/index.js';
import { edit, requestSync, resolve } from './service-commands.js';
import {
  ADMIN,
  COMPANY_ID,
  calcomShows,
  diverged,
  EVENT_TYPE_ID,
  edited,
  haircut,
  haircutWith,
  minute,
  SERVICE_ID,
  syncedHaircut,
  syncRequested,
} from './service-facts.js';
import { given, stateAfter } from './service-spec.js';

const renamedInCalcom = calcomShows(haircutWith({ name: 'Haarschnitt (Cal.com)' }));

describe('pushes are held while diverged (docs/architecture.md)', () => {
  const open = diverged(
    [{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' }],
    renamedInCalcom,
  );

  it('pushes are held while diverged: an edit is recorded but not pushed', () => {
    const events = given(...syncedHaircut(), open)
      .when(edit({ durationMinutes: 45 }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited']);
  });

  it('pushes are held while diverged: a request already waiting is not pushed', () => {
    const state = stateAfter(
      ...syncedHaircut(),
      syncRequested('s2', haircutWith({ durationMinutes: 45 })),
      open,
    );
    expect(state.sync.requested?.syncId).toBe('s2');
    expect(nextPush(state)).toBeNull();
  });

  it('pushes are held while diverged: a manual push is refused (DIVERGENCE_OPEN)', () => {
    const error = given(...syncedHaircut(), open)
      .when(requestSync())
      .thenFails('DIVERGENCE_OPEN');
    expect(error.details).toEqual({ fields: open.data.fields });
  });
});

describe("an admin's decision on a divergence (docs/http-contract.md POST /v1/services/:id/divergence/resolve)", () => {
  const nameAndDuration = calcomShows(haircutWith({ name: 'Haarschnitt (Cal.com)', durationMinutes: 20 }));
  const open = diverged(
    [
      { field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' },
      { field: 'durationMinutes', platform: 30, calcom: 20 },
    ],
    nameAndDuration,
  );
  const meta = {
    schemaVersion: SCHEMA_VERSION,
    serviceId: SERVICE_ID,
    companyId: COMPANY_ID,
    actor: ADMIN,
    at: minute(1),
  };

  it("keep_platform pushes the platform's values again", () => {
    const state = given(...syncedHaircut(), open)
      .when(resolve({ name: 'keep_platform', durationMinutes: 'keep_platform' }))
      .thenEmits([
        {
          type: 'DivergenceResolved',
          data: {
            ...meta,
            decisions: [
              {
                field: 'name',
                decision: 'keep_platform',
                platform: 'Herrenhaarschnitt',
                calcom: 'Haarschnitt (Cal.com)',
              },
              { field: 'durationMinutes', decision: 'keep_platform', platform: 30, calcom: 20 },
            ],
          },
        },
        {
          type: 'SyncRequested',
          data: {
            ...meta,
            syncId: 'sync-resolution',
            trigger: 'resolution',
            operation: 'update',
            teamId: 42,
            eventTypeId: EVENT_TYPE_ID,
            values: toCalcomValues(haircut),
          },
        },
      ]);
    expect(state.status).toBe('pending');
    expect(state.divergence).toBeNull();
  });

  it('accept_calcom without confirm is refused (CONFIRMATION_REQUIRED)', () => {
    const error = given(...syncedHaircut(), open)
      .when(resolve({ name: 'accept_calcom', durationMinutes: 'keep_platform' }, { confirm: false }))
      .thenFails('CONFIRMATION_REQUIRED');
    expect(error.details).toEqual({ fields: ['name'] });
  });

  it('accept_calcom with confirm becomes a ServiceEdited by that admin, and Cal.com is asked to hold the result', () => {
    const state = given(...syncedHaircut(), open)
      .when(resolve({ name: 'accept_calcom', durationMinutes: 'keep_platform' }, { confirm: true }))
      .thenEmits([
        {
          type: 'DivergenceResolved',
          data: {
            ...meta,
            decisions: [
              {
                field: 'name',
                decision: 'accept_calcom',
                platform: 'Herrenhaarschnitt',
                calcom: 'Haarschnitt (Cal.com)',
              },
              { field: 'durationMinutes', decision: 'keep_platform', platform: 30, calcom: 20 },
            ],
          },
        },
        {
          type: 'ServiceEdited',
          data: {
            ...meta,
            changes: [{ field: 'name', from: 'Herrenhaarschnitt', to: 'Haarschnitt (Cal.com)' }],
            reason: 'accept_calcom',
          },
        },
        {
          type: 'SyncRequested',
          data: {
            ...meta,
            syncId: 'sync-resolution',
            trigger: 'resolution',
            operation: 'update',
            teamId: 42,
            eventTypeId: EVENT_TYPE_ID,
            values: toCalcomValues(haircutWith({ name: 'Haarschnitt (Cal.com)' })),
          },
        },
      ]);
    expect(state.fields?.name).toBe('Haarschnitt (Cal.com)');
    expect(state.fields?.durationMinutes).toBe(30);
  });

  describe('a price divergence', () => {
    const priceInCalcom = calcomShows(haircut, { price: 3900 });
    const priceOpen = diverged(
      [
        {
          field: 'price',
          platform: { amount: 3500, currency: 'EUR' },
          calcom: { amount: 3900, currency: 'EUR' },
        },
      ],
      priceInCalcom,
    );

    it("accepting Cal.com's price changes the platform's price and pushes nothing", () => {
      const outcome = given(...syncedHaircut(), priceOpen).when(
        resolve({ price: 'accept_calcom' }, { confirm: true }),
      );
      expect(outcome.events().map((event) => event.type)).toEqual(['DivergenceResolved', 'ServiceEdited']);
      const state = outcome.state();
      expect(state.fields?.price).toEqual({ amount: 3900, currency: 'EUR' });
      expect(state.status).toBe('synced');
    });

    it("keeping the platform's price pushes nothing: Cal.com's price is read-only in its API", () => {
      const events = given(...syncedHaircut(), priceOpen)
        .when(resolve({ price: 'keep_platform' }))
        .events();
      expect(events.map((event) => event.type)).toEqual(['DivergenceResolved']);
    });

    it('an edit held during a price divergence is pushed once the divergence is resolved', () => {
      const held = given(...syncedHaircut(), priceOpen)
        .when(edit({ durationMinutes: 45 }))
        .events();
      const outcome = given(...syncedHaircut(), priceOpen, ...held).when(resolve({ price: 'keep_platform' }));
      expect(outcome.events().map((event) => event.type)).toEqual(['DivergenceResolved', 'SyncRequested']);
      expect(nextPush(outcome.state())?.values.lengthInMinutes).toBe(45);
    });

    /** A push of durationMinutes 45 is waiting when a price divergence opens and holds it. */
    const requestWaitingWhilePriceDiverged = () => [
      ...syncedHaircut(),
      edited([{ field: 'durationMinutes', from: 30, to: 45 }]),
      syncRequested('s2', haircutWith({ durationMinutes: 45 })),
      priceOpen,
    ];

    it('a request waiting with values an edit made stale is replaced by the current values', () => {
      const history = requestWaitingWhilePriceDiverged();
      const held = given(...history)
        .when(edit({ durationMinutes: 60 }))
        .events();
      const state = given(...history, ...held)
        .when(resolve({ price: 'keep_platform' }))
        .state();
      expect(nextPush(state)?.values.lengthInMinutes).toBe(60);
    });

    it('a request still waiting with the current values is kept as it is', () => {
      const history = requestWaitingWhilePriceDiverged();
      const held = given(...history)
        .when(edit({ durationMinutes: 45 }))
        .events();
      expect(held).toEqual([]);
      const events = given(...history)
        .when(resolve({ price: 'keep_platform' }))
        .events();
      expect(events.map((event) => event.type)).toEqual(['DivergenceResolved']);
      expect(nextPush(stateAfter(...history, ...events))?.syncId).toBe('s2');
    });
  });

  it('every diverged field needs a decision (DECISIONS_INCOMPLETE)', () => {
    const error = given(...syncedHaircut(), open)
      .when(resolve({ name: 'keep_platform' }))
      .thenFails('DECISIONS_INCOMPLETE');
    expect(error.details).toEqual({
      diverged: ['name', 'durationMinutes'],
      missing: ['durationMinutes'],
      unknown: [],
    });
  });

  it('a decision on a field that did not diverge is refused (DECISIONS_INCOMPLETE)', () => {
    const error = given(...syncedHaircut(), open)
      .when(resolve({ name: 'keep_platform', durationMinutes: 'keep_platform', slug: 'keep_platform' }))
      .thenFails('DECISIONS_INCOMPLETE');
    expect(error.details).toMatchObject({ unknown: ['slug'] });
  });

  it('without an open divergence there is nothing to resolve (NO_OPEN_DIVERGENCE)', () => {
    given(...syncedHaircut())
      .when(resolve({ name: 'keep_platform' }))
      .thenFails('NO_OPEN_DIVERGENCE');
  });

  it('a divergence of a service that does not exist cannot be resolved (SERVICE_NOT_FOUND)', () => {
    given()
      .when(resolve({ name: 'keep_platform' }))
      .thenFails('SERVICE_NOT_FOUND');
  });
});
