import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, statusView } from '../src/index.js';
import { observe } from './service-commands.js';
import {
  COMPANY_ID,
  calcomShows,
  diverged,
  edited,
  haircut,
  haircutWith,
  linked,
  minute,
  registered,
  SERVICE_ID,
  syncedHaircut,
  syncRequested,
  syncSucceeded,
} from './service-facts.js';
import { given } from './service-spec.js';

const renamedInCalcom = calcomShows(haircutWith({ name: 'Haarschnitt (Cal.com)' }));

describe('observing Cal.com (echoes, webhooks and reconciliation: docs/sync.md)', () => {
  it("a Cal.com observation that differs from the last push records a divergence and leaves the platform's fields untouched", () => {
    const outcome = given(...syncedHaircut()).when(
      observe(renamedInCalcom, 'reconciliation', { at: minute(7) }),
    );
    outcome.thenEmits([
      {
        type: 'CalcomDiverged',
        data: {
          schemaVersion: SCHEMA_VERSION,
          serviceId: SERVICE_ID,
          companyId: COMPANY_ID,
          actor: 'calcom:reconciliation',
          at: minute(7),
          source: 'reconciliation',
          fields: [{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' }],
          snapshot: renamedInCalcom,
        },
      },
    ]);
    const state = outcome.state();
    expect(state.fields).toEqual(haircut);
    expect(state.status).toBe('diverged');
    expect(state.divergence).toMatchObject({ detectedAt: minute(7), source: 'reconciliation' });
  });

  it('a relayed EVENT_TYPE_UPDATED webhook records a divergence from the webhook, never a ServiceEdited', () => {
    const events = given(...syncedHaircut())
      .when(observe(calcomShows(haircutWith({ durationMinutes: 90 })), 'webhook'))
      .events();
    expect(events).toMatchObject([
      {
        type: 'CalcomDiverged',
        data: {
          actor: 'calcom:webhook',
          source: 'webhook',
          fields: [{ field: 'durationMinutes', platform: 30, calcom: 90 }],
        },
      },
    ]);
  });

  it('an echo of our own push is a confirmation, not a divergence', () => {
    given(...syncedHaircut())
      .when(observe(calcomShows(haircut)))
      .thenNothing();
  });

  it('an echo of a push whose success is not recorded yet is a confirmation, not a divergence', () => {
    const longer = haircutWith({ durationMinutes: 45 });
    given(
      ...syncedHaircut(),
      edited([{ field: 'durationMinutes', from: 30, to: 45 }]),
      syncRequested('s2', longer),
    )
      .when(observe(calcomShows(longer)))
      .thenNothing();
  });

  it('Cal.com still showing the last confirmed push while a newer one is on its way is no divergence', () => {
    given(
      ...syncedHaircut(),
      edited([{ field: 'durationMinutes', from: 30, to: 45 }]),
      syncRequested('s2', haircutWith({ durationMinutes: 45 })),
    )
      .when(observe(calcomShows(haircut)))
      .thenNothing();
  });

  it('an echo of a superseded push is no divergence either', () => {
    const first = haircutWith({ durationMinutes: 45 });
    const second = haircutWith({ durationMinutes: 60 });
    given(
      ...syncedHaircut(),
      edited([{ field: 'durationMinutes', from: 30, to: 45 }]),
      syncRequested('s2', first),
      edited([{ field: 'durationMinutes', from: 45, to: 60 }]),
      syncRequested('s3', second),
      syncSucceeded('s2', first),
    )
      .when(observe(calcomShows(first)))
      .thenNothing();
  });

  it('Cal.com going back to values it held before our last push is a divergence', () => {
    const longer = haircutWith({ durationMinutes: 45 });
    const events = given(
      ...syncedHaircut(),
      edited([{ field: 'durationMinutes', from: 30, to: 45 }]),
      syncRequested('s2', longer),
      syncSucceeded('s2', longer),
    )
      .when(observe(calcomShows(haircut)))
      .events();
    expect(events).toMatchObject([
      { type: 'CalcomDiverged', data: { fields: [{ field: 'durationMinutes', platform: 45, calcom: 30 }] } },
    ]);
  });

  it("price in Cal.com in lower case equal to the platform's is no divergence", () => {
    const snapshot = calcomShows(haircut, { price: 3500, currency: 'eur' });
    given(...syncedHaircut())
      .when(observe(snapshot))
      .thenNothing();
  });

  it('a free service is free whatever currency Cal.com defaults to', () => {
    const free = haircutWith({ price: { amount: 0, currency: 'EUR' } });
    given(...syncedHaircut(free))
      .when(observe(calcomShows(free, { price: 0, currency: 'usd' })))
      .thenNothing();
  });

  it('a different price in Cal.com is a divergence, with the only remedy named plainly', () => {
    const state = given(...syncedHaircut())
      .when(observe(calcomShows(haircut, { price: 3900, currency: 'eur' })))
      .state();
    expect(state.divergence?.fields).toEqual([
      {
        field: 'price',
        platform: { amount: 3500, currency: 'EUR' },
        calcom: { amount: 3900, currency: 'EUR' },
      },
    ]);
    expect(statusView(state).nextAction).toEqual({ code: 'RESOLVE_DIVERGENCE', priceOnly: true });
  });

  it('hiding the event type in Cal.com is a divergence of isActive; the platform stays active', () => {
    const state = given(...syncedHaircut())
      .when(observe(calcomShows(haircut, { hidden: true })))
      .state();
    expect(state.divergence?.fields).toEqual([{ field: 'isActive', platform: true, calcom: false }]);
    expect(state.fields?.isActive).toBe(true);
  });

  it('requiring confirmation in Cal.com is a divergence of requiresConfirmation', () => {
    const snapshot = calcomShows(haircut, {
      confirmationPolicy: {
        type: 'time',
        blockUnconfirmedBookingsInBooker: false,
        noticeThreshold: { unit: 'hours', count: 2 },
      },
    });
    const state = given(...syncedHaircut())
      .when(observe(snapshot))
      .state();
    expect(state.divergence?.fields).toEqual([
      { field: 'requiresConfirmation', platform: false, calcom: true },
    ]);
  });

  it('before the first confirmed push only price is compared: the pending push will make Cal.com match', () => {
    const linkedOnly = [registered(), linked(), syncRequested('s1', haircut, { trigger: 'link' })] as const;
    given(...linkedOnly)
      .when(observe(renamedInCalcom))
      .thenNothing();
    const events = given(...linkedOnly)
      .when(observe(calcomShows(haircut, { price: 1000 })))
      .events();
    expect(events).toMatchObject([{ type: 'CalcomDiverged', data: { fields: [{ field: 'price' }] } }]);
  });

  it('the same divergence seen again appends nothing', () => {
    const open = diverged(
      [{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' }],
      renamedInCalcom,
    );
    given(...syncedHaircut(), open)
      .when(observe(renamedInCalcom))
      .thenNothing();
  });

  it('a divergence that grows is recorded again with every field', () => {
    const open = diverged(
      [{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' }],
      renamedInCalcom,
    );
    const more = calcomShows(haircutWith({ name: 'Haarschnitt (Cal.com)', durationMinutes: 20 }));
    const events = given(...syncedHaircut(), open)
      .when(observe(more))
      .events();
    expect(events).toMatchObject([
      { type: 'CalcomDiverged', data: { fields: [{ field: 'name' }, { field: 'durationMinutes' }] } },
    ]);
  });

  it('an observation of an event type the service is not linked to is ignored (EVENT_TYPE_MISMATCH)', () => {
    given(...syncedHaircut())
      .when(observe(calcomShows(haircut, { id: 9999 })))
      .thenFails('EVENT_TYPE_MISMATCH');
    given(registered())
      .when(observe(calcomShows(haircut)))
      .thenFails('EVENT_TYPE_MISMATCH');
  });

  it('an observation for a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given()
      .when(observe(calcomShows(haircut)))
      .thenFails('SERVICE_NOT_FOUND');
  });
});
