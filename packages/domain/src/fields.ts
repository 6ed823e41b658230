import { z } from 'zod';
import { boundedJson, freeFormJsonLimits, storableString } from './storable.js';

/** A price in minor units with an ISO 4217 currency, always stored upper case. */
export const priceSchema = z.object({
  amount: z.number().int().min(0).max(100_000_000),
  currency: storableString()
    .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code such as "EUR"')
    .transform((code) => code.toUpperCase()),
});
export type Price = z.output<typeof priceSchema>;

const kebabCase = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const minutes = z.number().int().min(0).max(525_600);

/** Fields the platform owns and mirrors to Cal.com (docs/events.md). Price is compared, never pushed. */
export const syncedFieldsSchema = z.object({
  name: storableString().trim().min(1).max(255),
  slug: storableString().min(1).max(255).regex(kebabCase, 'kebab-case, e.g. "mens-haircut"'),
  description: storableString().max(10_000),
  durationMinutes: z.number().int().min(1).max(1440),
  isActive: z.boolean(),
  bufferBeforeMinutes: minutes,
  bufferAfterMinutes: minutes,
  minimumBookingNoticeMinutes: minutes,
  requiresConfirmation: z.boolean(),
  disableGuests: z.boolean(),
  price: priceSchema,
});
export type SyncedFields = z.output<typeof syncedFieldsSchema>;
export type SyncedFieldName = keyof SyncedFields;

const segmentSchema = z.object({
  name: storableString().trim().min(1).max(255),
  durationMinutes: z.number().int().min(1).max(1440),
  gapAfterMinutes: minutes.default(0),
});

/** Fields only the platform knows; never sent to Cal.com and never read back (docs/events.md). */
export const platformOnlyFieldsSchema = z.object({
  branchId: storableString().min(1).max(255).nullable(),
  category: storableString().max(255).nullable(),
  displayName: storableString().max(255).nullable(),
  isOnline: z.boolean(),
  priority: z.number().int().min(0).max(1_000_000),
  composite: z.boolean(),
  segments: z.array(segmentSchema).max(50),
  minStaffRequired: z.number().int().min(1).max(1000),
  /** Free-form, bounded by `freeFormJsonLimits` (depth and size). */
  assignment: boundedJson(freeFormJsonLimits).nullable(),
});
export type PlatformOnlyFields = z.output<typeof platformOnlyFieldsSchema>;
export type PlatformOnlyFieldName = keyof PlatformOnlyFields;

export const serviceFieldsSchema = syncedFieldsSchema.extend(platformOnlyFieldsSchema.shape);
export type ServiceFields = z.output<typeof serviceFieldsSchema>;
export type FieldName = keyof ServiceFields;

export const syncedFieldNames = Object.keys(syncedFieldsSchema.shape) as SyncedFieldName[];
export const platformOnlyFieldNames = Object.keys(platformOnlyFieldsSchema.shape) as PlatformOnlyFieldName[];
export const fieldNames = [...syncedFieldNames, ...platformOnlyFieldNames] as FieldName[];
/** Synced fields the Cal.com API v2 accepts on writes (price is read-only there). */
export const pushableFieldNames = syncedFieldNames.filter((field) => field !== 'price');

export const defaultFields: Omit<ServiceFields, 'name' | 'slug' | 'durationMinutes' | 'price'> = {
  description: '',
  isActive: true,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minimumBookingNoticeMinutes: 0,
  requiresConfirmation: false,
  disableGuests: false,
  branchId: null,
  category: null,
  displayName: null,
  isOnline: false,
  priority: 0,
  composite: false,
  segments: [],
  minStaffRequired: 1,
  assignment: null,
};

/** Input of a registration: the four fields without a sensible default are required. */
export const registrationFieldsSchema = serviceFieldsSchema
  .partial()
  .required({ name: true, slug: true, durationMinutes: true, price: true })
  .strict();
export type RegistrationFields = z.input<typeof registrationFieldsSchema>;

/** Input of an edit: any subset of fields, unknown keys rejected. */
export const fieldPatchSchema = serviceFieldsSchema.partial().strict();
export type FieldPatch = z.output<typeof fieldPatchSchema>;

/** Whether a field is written to Cal.com (every synced field but price). */
export function isPushableField(field: string): field is SyncedFieldName {
  return (pushableFieldNames as string[]).includes(field);
}

/** Structural equality of JSON values, the only equality fields need. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  const otherKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return keys.length === otherKeys.length && keys.every((key) => jsonEqual(left[key], right[key]));
}

/**
 * Equality of two prices as a person reads them: currencies compare case-insensitively,
 * and a free service is free whatever currency Cal.com defaults to.
 */
export function priceEqual(a: Price, b: Price): boolean {
  if (a.amount !== b.amount) return false;
  return a.amount === 0 || a.currency.toUpperCase() === b.currency.toUpperCase();
}

/** Equality of one field's values after normalisation, so equal values never look different. */
export function fieldValueEqual(field: FieldName, a: unknown, b: unknown): boolean {
  if (field === 'price') {
    const left = priceSchema.safeParse(a);
    const right = priceSchema.safeParse(b);
    return left.success && right.success ? priceEqual(left.data, right.data) : jsonEqual(a, b);
  }
  return jsonEqual(a, b);
}

export interface FieldChange {
  field: FieldName;
  from: unknown;
  to: unknown;
}

/** The real changes a patch makes to the current fields, in field order. */
export function diffFields(current: ServiceFields, patch: FieldPatch): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of fieldNames) {
    if (!(field in patch) || patch[field] === undefined) continue;
    const next = patch[field];
    if (!fieldValueEqual(field, current[field], next))
      changes.push({ field, from: current[field], to: next });
  }
  return changes;
}

/** The fields after applying changes. */
export function applyChanges(fields: ServiceFields, changes: readonly FieldChange[]): ServiceFields {
  const next: Record<string, unknown> = { ...fields };
  for (const change of changes) next[change.field] = change.to;
  return next as ServiceFields;
}
