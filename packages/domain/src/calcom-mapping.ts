import { z } from 'zod';
import { fieldValueEqual, pushableFieldNames, type SyncedFields } from './fields.js';

/**
 * The Cal.com side of the mapping (docs/events.md), in the shapes of API v2 2024-06-14. The domain
 * keeps its own copy of these shapes so that it depends on nothing but zod and neverthrow.
 */

export const confirmationPolicySchema = z.union([
  z.object({ disabled: z.literal(true) }),
  z.looseObject({
    type: z.enum(['always', 'time']),
    blockUnconfirmedBookingsInBooker: z.boolean(),
    noticeThreshold: z.object({ unit: z.string(), count: z.number() }).optional(),
  }),
]);
export type ConfirmationPolicy = z.output<typeof confirmationPolicySchema>;

/** The values the platform writes to a Cal.com event type: never price, never `length`. */
export const calcomValuesSchema = z.object({
  title: z.string(),
  slug: z.string(),
  description: z.string(),
  lengthInMinutes: z.number().int(),
  hidden: z.boolean(),
  beforeEventBuffer: z.number().int(),
  afterEventBuffer: z.number().int(),
  minimumBookingNotice: z.number().int(),
  confirmationPolicy: confirmationPolicySchema,
  disableGuests: z.boolean(),
});
export type CalcomValues = z.output<typeof calcomValuesSchema>;

/** What Cal.com showed for one event type: the written values plus its read-only price. */
export const calcomSnapshotSchema = calcomValuesSchema.extend({
  id: z.number().int(),
  teamId: z.number().int().nullable(),
  price: z.number().int(),
  currency: z.string(),
});
export type CalcomSnapshot = z.output<typeof calcomSnapshotSchema>;

const requiredConfirmation: ConfirmationPolicy = { type: 'always', blockUnconfirmedBookingsInBooker: true };

/** The values to PATCH into Cal.com for these platform fields. */
export function toCalcomValues(fields: SyncedFields): CalcomValues {
  return {
    title: fields.name,
    slug: fields.slug,
    description: fields.description,
    lengthInMinutes: fields.durationMinutes,
    hidden: !fields.isActive,
    beforeEventBuffer: fields.bufferBeforeMinutes,
    afterEventBuffer: fields.bufferAfterMinutes,
    minimumBookingNotice: fields.minimumBookingNoticeMinutes,
    confirmationPolicy: fields.requiresConfirmation ? requiredConfirmation : { disabled: true },
    disableGuests: fields.disableGuests,
  };
}

/** Platform-field view of values written to Cal.com (everything but price). */
export function fromCalcomValues(values: CalcomValues): Omit<SyncedFields, 'price'> {
  return {
    name: values.title,
    slug: values.slug,
    description: values.description,
    durationMinutes: values.lengthInMinutes,
    isActive: !values.hidden,
    bufferBeforeMinutes: values.beforeEventBuffer,
    bufferAfterMinutes: values.afterEventBuffer,
    minimumBookingNoticeMinutes: values.minimumBookingNotice,
    requiresConfirmation: !('disabled' in values.confirmationPolicy && values.confirmationPolicy.disabled),
    disableGuests: values.disableGuests,
  };
}

/** Platform-field view of a Cal.com snapshot, price included (currency upper-cased). */
export function fromCalcomSnapshot(snapshot: CalcomSnapshot): SyncedFields {
  return {
    ...fromCalcomValues(snapshot),
    price: { amount: snapshot.price, currency: snapshot.currency.toUpperCase() },
  };
}

/** Whether two sets of written values mean the same thing (compared in platform terms). */
export function calcomValuesEqual(a: CalcomValues, b: CalcomValues): boolean {
  const left = fromCalcomValues(a);
  const right = fromCalcomValues(b);
  return pushableFieldNames.every((field) =>
    fieldValueEqual(field, left[field as keyof typeof left], right[field as keyof typeof right]),
  );
}
