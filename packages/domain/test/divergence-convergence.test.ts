import { describe, expect, it } from 'vitest';
import { auditEntry, statusView } from '../src/index.js';
import { observe } from './service-commands.js';
import {
  calcomShows,
  diverged,
  edited,
  haircut,
  haircutWith,
  minute,
  SERVICE_ID,
  syncedHaircut,
} from './service-facts.js';
import { given } from './service-spec.js';

// Cal.com's price cannot be set through its API: the remedy docs/events.md names is to change it in
// Cal.com's payment settings. Once Cal.com shows the platform's values again, the divergence
// must close by itself, or that remedy would not work.
const cheaperInCalcom = calcomShows(haircutWith({ price: { amount: 2900, currency: 'EUR' } }));
const priceDiverged = diverged(
  [{ field: 'price', platform: haircut.price, calcom: { amount: 2900, currency: 'EUR' } }],
  cheaperInCalcom,
  {
    at: minute(5),
  },
);

describe('a divergence that Cal.com resolves itself', () => {
  it('closes when Cal.com shows the platform’s values again, without a decision and without a push', () => {
    const outcome = given(...syncedHaircut(), priceDiverged).when(
      observe(calcomShows(haircut), 'reconciliation', { at: minute(9) }),
    );
    expect(outcome.events()).toMatchObject([
      {
        type: 'DivergenceResolved',
        data: {
          actor: 'calcom:reconciliation',
          converged: true,
          decisions: [{ field: 'price', decision: 'keep_platform' }],
        },
      },
    ]);
    const state = outcome.state();
    expect(state.status).toBe('synced');
    expect(state.fields).toEqual(haircut);
    expect(statusView(state).bookable).toBe(true);
  });

  it('pushes the edits that were held while it was open', () => {
    const outcome = given(
      ...syncedHaircut(),
      priceDiverged,
      edited([{ field: 'durationMinutes', from: 30, to: 45 }], { at: minute(6) }),
    ).when(observe(calcomShows(haircut), 'reconciliation', { at: minute(9) }));
    const [closed, push] = outcome.events();
    expect(closed?.type).toBe('DivergenceResolved');
    expect(push).toMatchObject({
      type: 'SyncRequested',
      data: { trigger: 'reconcile', values: { lengthInMinutes: 45 }, syncId: `${SERVICE_ID}-converged-6` },
    });
    expect(outcome.state().status).toBe('pending');
  });

  it('stays open while Cal.com still differs, and narrows when only part of it came back', () => {
    const twoFields = diverged(
      [
        { field: 'name', platform: haircut.name, calcom: 'Renamed' },
        { field: 'price', platform: haircut.price, calcom: { amount: 2900, currency: 'EUR' } },
      ],
      calcomShows(haircutWith({ name: 'Renamed', price: { amount: 2900, currency: 'EUR' } })),
    );
    given(...syncedHaircut(), twoFields)
      .when(observe(calcomShows(haircutWith({ name: 'Renamed', price: { amount: 2900, currency: 'EUR' } }))))
      .thenNothing();
    const narrowed = given(...syncedHaircut(), twoFields)
      .when(observe(cheaperInCalcom))
      .events();
    expect(narrowed).toMatchObject([{ type: 'CalcomDiverged', data: { fields: [{ field: 'price' }] } }]);
  });

  it('says so in the audit trail', () => {
    const [closed] = given(...syncedHaircut(), priceDiverged)
      .when(observe(calcomShows(haircut)))
      .events();
    expect(auditEntry(closed!, '9').summary).toBe(
      'Cal.com holds the platform’s values again (price): divergence closed.',
    );
    expect(auditEntry(closed!, '9').source).toBe('calcom_reconciliation');
  });
});
