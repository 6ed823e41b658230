import fc from 'fast-check';
import { type ServiceFields, type SyncedFields, syncFailureKinds } from '../src/index.js';

/**
 * Random histories of one service for the property tests. Values come from small pools so
 * that no-op edits, echoes of our own pushes and repeated observations happen often.
 */

const priceArb = fc.constantFrom(
  { amount: 0, currency: 'EUR' },
  { amount: 3500, currency: 'EUR' },
  { amount: 3900, currency: 'EUR' },
  { amount: 3500, currency: 'CHF' },
);

export const syncedValueArbs = {
  name: fc.constantFrom('Herrenhaarschnitt', 'Damenhaarschnitt', 'Bartpflege'),
  slug: fc.constantFrom('herrenhaarschnitt', 'damenhaarschnitt', 'bart'),
  description: fc.constantFrom('', 'Waschen, schneiden, föhnen'),
  durationMinutes: fc.constantFrom(15, 30, 45),
  isActive: fc.boolean(),
  bufferBeforeMinutes: fc.constantFrom(0, 5),
  bufferAfterMinutes: fc.constantFrom(0, 10),
  minimumBookingNoticeMinutes: fc.constantFrom(0, 120),
  requiresConfirmation: fc.boolean(),
  disableGuests: fc.boolean(),
  price: priceArb,
};

export const platformOnlyValueArbs = {
  branchId: fc.constantFrom(null, 'branch-1'),
  category: fc.constantFrom(null, 'Herren'),
  displayName: fc.constantFrom(null, 'Schnitt'),
  isOnline: fc.boolean(),
  priority: fc.constantFrom(0, 1),
  composite: fc.boolean(),
  segments: fc.constantFrom<ServiceFields['segments']>(
    [],
    [{ name: 'Waschen', durationMinutes: 10, gapAfterMinutes: 0 }],
  ),
  minStaffRequired: fc.constantFrom(1, 2),
  assignment: fc.constantFrom<ServiceFields['assignment']>(null, { staff: ['s1'] }),
};

export const serviceFieldsArb: fc.Arbitrary<ServiceFields> = fc.record({
  ...syncedValueArbs,
  ...platformOnlyValueArbs,
});

/** Any valid synced fields, not only the pooled ones: for the mapping round trip. */
export const syncedFieldsArb: fc.Arbitrary<SyncedFields> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 40 }),
  slug: fc.stringMatching(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  description: fc.string({ maxLength: 80 }),
  durationMinutes: fc.integer({ min: 1, max: 1440 }),
  isActive: fc.boolean(),
  bufferBeforeMinutes: fc.nat(600),
  bufferAfterMinutes: fc.nat(600),
  minimumBookingNoticeMinutes: fc.nat(10_000),
  requiresConfirmation: fc.boolean(),
  disableGuests: fc.boolean(),
  price: fc.record({ amount: fc.nat(1_000_000), currency: fc.constantFrom('EUR', 'USD', 'CHF') }),
});

export const fieldPatchArb = fc.record(
  { ...syncedValueArbs, ...platformOnlyValueArbs },
  { requiredKeys: [] },
);
export const platformOnlyPatchArb = fc.record(platformOnlyValueArbs, { requiredKeys: [] });

/** What happens next to the service: a recipe that becomes a command against the state of the moment. */
export type Recipe =
  | { kind: 'edit'; patch: Record<string, unknown>; stale: boolean }
  | { kind: 'link'; eventTypeId: number }
  | { kind: 'unlink' }
  | { kind: 'requestSync'; trigger: 'manual' | 'reconcile' }
  | { kind: 'succeed'; pick: number }
  | { kind: 'fail'; pick: number; failure: (typeof syncFailureKinds)[number]; final: boolean }
  | {
      kind: 'observe';
      source: 'webhook' | 'reconciliation';
      from: 'platform' | 'confirmed' | 'pending';
      overrides: Partial<SyncedFields>;
      otherEventType: boolean;
    }
  | { kind: 'resolve'; accept: boolean[]; confirm: boolean; complete: boolean }
  | { kind: 'reset' }
  | { kind: 'markMissing'; evidence: 'push_not_found' | 'webhook_deleted' | 'reconciliation' };

/** `usually` four times in five, else `rarely`. */
function often<T>(usually: T, rarely: T): fc.Arbitrary<T> {
  return fc.constantFrom(usually, usually, usually, usually, rarely);
}

const recipeArb: fc.Arbitrary<Recipe> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      patch: fieldPatchArb,
      stale: often(false, true),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('link' as const), eventTypeId: fc.constantFrom(1001, 2002) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'unlink' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('requestSync' as const),
      trigger: fc.constantFrom('manual' as const, 'reconcile' as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('succeed' as const), pick: fc.nat(6) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      pick: fc.nat(6),
      failure: fc.constantFrom(...syncFailureKinds),
      final: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('observe' as const),
      source: fc.constantFrom('webhook' as const, 'reconciliation' as const),
      from: fc.constantFrom('platform' as const, 'confirmed' as const, 'pending' as const),
      overrides: fc.record(syncedValueArbs, { requiredKeys: [] }),
      otherEventType: often(false, true),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('resolve' as const),
      accept: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      confirm: often(true, false),
      complete: often(true, false),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('markMissing' as const),
      evidence: fc.constantFrom(
        'push_not_found' as const,
        'webhook_deleted' as const,
        'reconciliation' as const,
      ),
    }),
  },
);

export type Registration = { fields: ServiceFields; calcom: 'none' | 'link' | 'create' };

const registrationArb: fc.Arbitrary<Registration> = fc.record({
  fields: serviceFieldsArb,
  calcom: fc.constantFrom('link' as const, 'link' as const, 'create' as const, 'none' as const),
});

/**
 * `anyOrder`: outcomes may arrive for any request, late or twice. `processManager`: the
 * outbound process manager records outcomes only of the push that nextPush planned.
 */
export type OutcomeModel = 'anyOrder' | 'processManager';

export const scenarioArb = fc.record({
  registration: registrationArb,
  recipes: fc.array(recipeArb, { maxLength: 40, size: 'max' }),
});
