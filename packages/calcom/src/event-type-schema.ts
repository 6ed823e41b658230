import { z } from 'zod';

// Response schemas are loose objects: Cal.com's output grows between versions, and an unknown field must never
// break a sync. The fields calsync reads are typed strictly, so a renamed or retyped one fails loudly.

const noticeThresholdSchema = z.looseObject({
  unit: z.enum(['minutes', 'hours']),
  count: z.number().int(),
});

export const confirmationPolicySchema = z.union([
  z.looseObject({ disabled: z.literal(true) }),
  z.looseObject({
    type: z.enum(['always', 'time']),
    blockUnconfirmedBookingsInBooker: z.boolean(),
    noticeThreshold: noticeThresholdSchema.optional(),
  }),
]);

export const schedulingTypeSchema = z.enum(['roundRobin', 'collective', 'managed']);
export type SchedulingType = z.infer<typeof schedulingTypeSchema>;

/** An event type as Cal.com API v2 (2024-06-14 shapes) returns it, user or team. */
export const eventTypeSchema = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  slug: z.string(),
  description: z.string(),
  lengthInMinutes: z.number().int(),
  hidden: z.boolean(),
  beforeEventBuffer: z.number().int(),
  afterEventBuffer: z.number().int(),
  minimumBookingNotice: z.number().int(),
  disableGuests: z.boolean(),
  confirmationPolicy: confirmationPolicySchema,
  /** Minor units; read-only in API v2. */
  price: z.number().int(),
  /** Lower case as Cal.com reports it (`usd`); read-only in API v2. */
  currency: z.string(),
  teamId: z.number().int().nullable().optional(),
  ownerId: z.number().int().nullable().optional(),
  parentEventTypeId: z.number().int().nullable().optional(),
  schedulingType: schedulingTypeSchema.nullable().optional(),
});
export type CalcomEventType = z.infer<typeof eventTypeSchema>;

export type ConfirmationPolicyWrite =
  | { disabled: true }
  | {
      type: 'always' | 'time';
      blockUnconfirmedBookingsInBooker: boolean;
      noticeThreshold?: { unit: 'minutes' | 'hours'; count: number };
    };

/** What calsync sends. Never price, currency or length: API v2 silently strips them. */
export interface EventTypeWrite {
  title?: string;
  slug?: string;
  description?: string;
  lengthInMinutes?: number;
  hidden?: boolean;
  beforeEventBuffer?: number;
  afterEventBuffer?: number;
  minimumBookingNotice?: number;
  disableGuests?: boolean;
  confirmationPolicy?: ConfirmationPolicyWrite;
}

export type EventTypeCreate = EventTypeWrite & { title: string; slug: string; lengthInMinutes: number };

export const eventTypeWriteFields = [
  'title',
  'slug',
  'description',
  'lengthInMinutes',
  'hidden',
  'beforeEventBuffer',
  'afterEventBuffer',
  'minimumBookingNotice',
  'disableGuests',
  'confirmationPolicy',
] as const satisfies readonly (keyof EventTypeWrite)[];

/**
 * Copies only the writable fields that are set. A write object built at run time can carry more (a spread of a
 * whole event type, say); those extras must never reach Cal.com.
 */
export function writeBody(write: EventTypeWrite): EventTypeWrite {
  const body: Record<string, unknown> = {};
  for (const field of eventTypeWriteFields) {
    if (write[field] !== undefined) body[field] = write[field];
  }
  return body as EventTypeWrite;
}
