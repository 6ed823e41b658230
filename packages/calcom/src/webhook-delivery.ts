import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { type CalcomEventType, eventTypeSchema } from './event-type-schema.js';
import { makeStorable } from './storable-answer.js';

/** `{triggerEvent, createdAt, payload}`, the body of every Cal.com webhook delivery (docs/calcom.md). */
export const webhookEnvelopeSchema = z.looseObject({
  triggerEvent: z.string().min(1),
  createdAt: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

/** The parts of a BOOKING_* payload calsync reads; the rest passes through. */
export const bookingPayloadSchema = z.looseObject({
  uid: z.string().optional(),
  bookingId: z.number().int().optional(),
  eventTypeId: z.number().int().nullable().optional(),
  status: z.string().optional(),
});
export type BookingPayload = z.infer<typeof bookingPayloadSchema>;

export const eventTypeDeletedPayloadSchema = z.looseObject({ id: z.number().int() });

interface DeliveryBase {
  triggerEvent: string;
  createdAt: string;
}

export type WebhookDelivery =
  | (DeliveryBase & { kind: 'ping'; payload: Record<string, unknown> })
  | (DeliveryBase & { kind: 'booking'; payload: BookingPayload })
  | (DeliveryBase & { kind: 'eventTypeUpdated'; eventType: CalcomEventType })
  | (DeliveryBase & { kind: 'eventTypeCreated'; eventType: CalcomEventType })
  | (DeliveryBase & { kind: 'eventTypeDeleted'; eventTypeId: number; payload: Record<string, unknown> })
  | (DeliveryBase & { kind: 'other'; payload: Record<string, unknown> });

export interface WebhookDeliveryError {
  code: 'CALCOM.WEBHOOK_MALFORMED';
  reason: 'invalid_json' | 'invalid_shape';
  message: string;
}

function malformed(reason: WebhookDeliveryError['reason'], message: string): WebhookDeliveryError {
  return { code: 'CALCOM.WEBHOOK_MALFORMED', reason, message };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

// Cal.com itself sends no event-type triggers; relays (the old system among them) used both spellings.
const eventTypeTriggers: Record<string, 'eventTypeUpdated' | 'eventTypeCreated' | 'eventTypeDeleted'> = {
  EVENT_TYPE_UPDATED: 'eventTypeUpdated',
  'EVENT_TYPE.UPDATED': 'eventTypeUpdated',
  EVENT_TYPE_CREATED: 'eventTypeCreated',
  'EVENT_TYPE.CREATED': 'eventTypeCreated',
  EVENT_TYPE_DELETED: 'eventTypeDeleted',
  'EVENT_TYPE.DELETED': 'eventTypeDeleted',
};

/** Classifies an already-parsed delivery body. A valid envelope with an unhandled trigger is `other`. */
export function classifyWebhookDelivery(body: unknown): Result<WebhookDelivery, WebhookDeliveryError> {
  // Every text of the delivery is made storable before any schema reads it (docs/limits.md).
  const storable = makeStorable(body);
  if (storable.isErr())
    return err(malformed('invalid_shape', `the delivery holds more than ${storable.error.maxNodes} values`));
  const envelope = webhookEnvelopeSchema.safeParse(storable.value);
  if (!envelope.success) return err(malformed('invalid_shape', issues(envelope.error)));
  const { triggerEvent, createdAt, payload } = envelope.data;
  const base = { triggerEvent, createdAt };

  if (triggerEvent === 'PING') return ok({ ...base, kind: 'ping', payload });
  if (triggerEvent.startsWith('BOOKING_')) {
    const booking = bookingPayloadSchema.safeParse(payload);
    if (!booking.success) return err(malformed('invalid_shape', issues(booking.error)));
    return ok({ ...base, kind: 'booking', payload: booking.data });
  }
  const kind = eventTypeTriggers[triggerEvent];
  if (kind === 'eventTypeDeleted') {
    const deleted = eventTypeDeletedPayloadSchema.safeParse(payload);
    if (!deleted.success) return err(malformed('invalid_shape', issues(deleted.error)));
    return ok({ ...base, kind, eventTypeId: deleted.data.id, payload });
  }
  if (kind !== undefined) {
    const eventType = eventTypeSchema.safeParse(payload);
    if (!eventType.success) return err(malformed('invalid_shape', issues(eventType.error)));
    return ok({ ...base, kind, eventType: eventType.data });
  }
  return ok({ ...base, kind: 'other', payload });
}

/** Parses the raw bytes of a delivery (verify the signature over the same bytes first). */
export function parseWebhookDelivery(
  rawBody: Uint8Array | string,
): Result<WebhookDelivery, WebhookDeliveryError> {
  const text = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return err(malformed('invalid_json', error instanceof Error ? error.message : 'body is not JSON'));
  }
  return classifyWebhookDelivery(body);
}
