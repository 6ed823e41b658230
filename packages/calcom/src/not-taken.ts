import { type CalcomEventType, type EventTypeWrite, eventTypeWriteFields } from './event-type-schema.js';

/** A field Cal.com answered with a value other than the one sent: it was stripped, coerced or ignored. */
export interface NotTakenField {
  field: keyof EventTypeWrite;
  sent: unknown;
  received: unknown;
}

/**
 * Whether `received` holds everything in `sent`. Objects may carry more keys than were sent (Cal.com fills in
 * defaults such as `disabled: false`); arrays and scalars must match exactly.
 */
function holds(sent: unknown, received: unknown): boolean {
  if (Array.isArray(sent)) {
    return (
      Array.isArray(received) &&
      received.length === sent.length &&
      sent.every((v, i) => holds(v, received[i]))
    );
  }
  if (sent !== null && typeof sent === 'object') {
    if (received === null || typeof received !== 'object' || Array.isArray(received)) return false;
    const target = received as Record<string, unknown>;
    return Object.entries(sent).every(([key, value]) => value === undefined || holds(value, target[key]));
  }
  return Object.is(sent, received);
}

/** Compares Cal.com's answer to an update or create with what was sent, naming every field that did not take. */
export function fieldsNotTaken(sent: EventTypeWrite, received: CalcomEventType): NotTakenField[] {
  const answer = received as Record<string, unknown>;
  return eventTypeWriteFields.flatMap((field): NotTakenField[] => {
    const value = sent[field];
    if (value === undefined || holds(value, answer[field])) return [];
    return [{ field, sent: value, received: answer[field] }];
  });
}
