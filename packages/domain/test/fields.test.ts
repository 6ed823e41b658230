import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  diffFields,
  fieldNames,
  fieldValueEqual,
  isPushableField,
  jsonEqual,
  platformOnlyFieldNames,
  priceEqual,
  registrationFieldsSchema,
  syncedFieldNames,
} from '../src/index.js';
import { haircut } from './service-facts.js';

describe('service fields (docs/events.md)', () => {
  it('the synced fields are those Cal.com mirrors; the platform-only ones are never sent', () => {
    expect(syncedFieldNames).toEqual([
      'name',
      'slug',
      'description',
      'durationMinutes',
      'isActive',
      'bufferBeforeMinutes',
      'bufferAfterMinutes',
      'minimumBookingNoticeMinutes',
      'requiresConfirmation',
      'disableGuests',
      'price',
    ]);
    expect(platformOnlyFieldNames).toEqual([
      'branchId',
      'category',
      'displayName',
      'isOnline',
      'priority',
      'composite',
      'segments',
      'minStaffRequired',
      'assignment',
    ]);
    expect(fieldNames).toEqual([...syncedFieldNames, ...platformOnlyFieldNames]);
  });

  it('price is synced (compared) but not pushable (Cal.com API v2 has no price input)', () => {
    expect(syncedFieldNames).toContain('price');
    expect(isPushableField('price')).toBe(false);
    expect(isPushableField('durationMinutes')).toBe(true);
    expect(syncedFieldNames).not.toContain('category');
    expect(isPushableField('category')).toBe(false);
  });

  it('a registration needs a name, a slug, a duration and a price; everything else has a default', () => {
    expect(
      registrationFieldsSchema.safeParse({
        name: 'x',
        slug: 'x',
        durationMinutes: 5,
        price: { amount: 0, currency: 'EUR' },
      }).success,
    ).toBe(true);
    const missing = registrationFieldsSchema.safeParse({});
    expect(missing.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'durationMinutes',
      'name',
      'price',
      'slug',
    ]);
  });

  it('prices are equal when their amounts are, with currencies compared case-insensitively', () => {
    expect(priceEqual({ amount: 3500, currency: 'EUR' }, { amount: 3500, currency: 'eur' })).toBe(true);
    expect(priceEqual({ amount: 3500, currency: 'EUR' }, { amount: 3500, currency: 'USD' })).toBe(false);
    expect(priceEqual({ amount: 3500, currency: 'EUR' }, { amount: 3600, currency: 'EUR' })).toBe(false);
    expect(priceEqual({ amount: 0, currency: 'EUR' }, { amount: 0, currency: 'usd' })).toBe(true);
  });

  it('a value that is not a price is compared structurally', () => {
    expect(fieldValueEqual('price', { amount: 1 }, { amount: 1 })).toBe(true);
    expect(fieldValueEqual('price', { amount: 1 }, { amount: 1, currency: 'EUR' })).toBe(false);
  });

  it('JSON values are equal by structure, undefined keys ignored', () => {
    expect(jsonEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });

  it('a diff lists the real changes in field order, and applying it gives the new fields', () => {
    const changes = diffFields(haircut, {
      category: 'Herren',
      durationMinutes: 45,
      name: 'Herrenhaarschnitt',
    });
    expect(changes).toEqual([
      { field: 'durationMinutes', from: 30, to: 45 },
      { field: 'category', from: null, to: 'Herren' },
    ]);
    expect(applyChanges(haircut, changes)).toEqual({ ...haircut, durationMinutes: 45, category: 'Herren' });
  });
});
