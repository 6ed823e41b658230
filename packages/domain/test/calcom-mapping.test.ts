import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CalcomValues,
  calcomSnapshotSchema,
  calcomValuesEqual,
  calcomValuesSchema,
  fromCalcomSnapshot,
  fromCalcomValues,
  pushableFieldNames,
  toCalcomValues,
} from '../src/index.js';
import { syncedFieldsArb } from './service-arbitraries.js';
import { calcomShows, haircut, haircutWith } from './service-facts.js';

describe('platform fields → Cal.com event type values (docs/events.md)', () => {
  const values = toCalcomValues(
    haircutWith({
      description: 'Waschen, schneiden',
      bufferBeforeMinutes: 5,
      bufferAfterMinutes: 10,
      minimumBookingNoticeMinutes: 120,
      disableGuests: true,
    }),
  );

  it('names each field as Cal.com API v2 does', () => {
    expect(values).toEqual({
      title: 'Herrenhaarschnitt',
      slug: 'herrenhaarschnitt',
      description: 'Waschen, schneiden',
      lengthInMinutes: 30,
      hidden: false,
      beforeEventBuffer: 5,
      afterEventBuffer: 10,
      minimumBookingNotice: 120,
      confirmationPolicy: { disabled: true },
      disableGuests: true,
    });
  });

  it('the duration is lengthInMinutes, never length: API v2 silently drops length', () => {
    expect(values).not.toHaveProperty('length');
    expect(values.lengthInMinutes).toBe(30);
  });

  it('the price is never written: Cal.com API v2 strips price and currency', () => {
    expect(values).not.toHaveProperty('price');
    expect(values).not.toHaveProperty('currency');
    expect(values).not.toHaveProperty('metadata');
    expect(pushableFieldNames).not.toContain('price');
  });

  it('an active service is a visible event type, an inactive one a hidden event type', () => {
    expect(toCalcomValues(haircutWith({ isActive: true })).hidden).toBe(false);
    expect(toCalcomValues(haircutWith({ isActive: false })).hidden).toBe(true);
  });

  it('requiring confirmation is a confirmation policy; not requiring it is {disabled: true}', () => {
    expect(toCalcomValues(haircutWith({ requiresConfirmation: false })).confirmationPolicy).toEqual({
      disabled: true,
    });
    expect(toCalcomValues(haircutWith({ requiresConfirmation: true })).confirmationPolicy).toEqual({
      type: 'always',
      blockUnconfirmedBookingsInBooker: true,
    });
  });

  it('the written values pass the schema the Cal.com client checks', () => {
    expect(calcomValuesSchema.parse(values)).toEqual(values);
  });
});

describe('Cal.com event type → platform fields (docs/events.md)', () => {
  it('reading back what was written gives the platform fields (price aside), for any fields', () => {
    fc.assert(
      fc.property(syncedFieldsArb, (fields) => {
        const { price: _price, ...written } = fields;
        expect(fromCalcomValues(toCalcomValues(fields))).toEqual(written);
      }),
    );
  });

  it('a hidden event type is an inactive service', () => {
    expect(fromCalcomValues({ ...toCalcomValues(haircut), hidden: true }).isActive).toBe(false);
  });

  it('any confirmation policy but {disabled: true} means confirmation is required', () => {
    const timed: CalcomValues = {
      ...toCalcomValues(haircut),
      confirmationPolicy: {
        type: 'time',
        blockUnconfirmedBookingsInBooker: false,
        noticeThreshold: { unit: 'minutes', count: 30 },
      },
    };
    expect(fromCalcomValues(timed).requiresConfirmation).toBe(true);
    expect(fromCalcomValues(toCalcomValues(haircut)).requiresConfirmation).toBe(false);
  });

  it("Cal.com's price in minor units and lower-case currency reads as the platform's price", () => {
    expect(fromCalcomSnapshot(calcomShows(haircut)).price).toEqual({ amount: 3500, currency: 'EUR' });
  });

  it('a snapshot with a different title and price reads as that name and price', () => {
    const snapshot = calcomShows(haircutWith({ name: 'Anders' }), { price: 100 });
    expect(fromCalcomSnapshot(snapshot)).toMatchObject({
      name: 'Anders',
      price: { amount: 100, currency: 'EUR' },
    });
  });

  it('values that mean the same are equal, whatever policy details Cal.com keeps', () => {
    const always = toCalcomValues(haircutWith({ requiresConfirmation: true }));
    const timed: CalcomValues = {
      ...always,
      confirmationPolicy: { type: 'time', blockUnconfirmedBookingsInBooker: false },
    };
    expect(calcomValuesEqual(always, timed)).toBe(true);
    expect(calcomValuesEqual(always, toCalcomValues(haircut))).toBe(false);
  });

  it("a snapshot of Cal.com's event type response keeps the compared fields and drops the rest", () => {
    const response = {
      ...calcomShows(haircut),
      ownerId: 77,
      metadata: {},
      bookingFields: [],
      seats: { disabled: true },
      price: 0,
      currency: 'usd',
    };
    const snapshot = calcomSnapshotSchema.parse(response);
    expect(snapshot).not.toHaveProperty('ownerId');
    expect(snapshot).toMatchObject({ id: 1001, teamId: 42, price: 0, currency: 'usd', lengthInMinutes: 30 });
  });
});
