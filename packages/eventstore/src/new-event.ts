import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import type { NewEvent, UnstorableEvent } from './port.js';
import { findUnstorableEvent } from './storable-event.js';

const newEventSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const newEventsSchema = z.array(newEventSchema);

/** A NewEvent as every engine stores it: JSON-normalised, metadata defaulted. */
export interface ValidNewEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/**
 * Every engine's append starts here. Events are built by our own code, so a malformed one
 * (no UUID, no type) is a bug, not an expected failure: it throws. What no engine can store
 * (NUL, lone surrogates, nesting or size beyond the store's bounds; docs/limits.md) can come
 * from outside data, so it is a typed error, decided before any engine sees the event and
 * before anything walks it recursively. Data then goes through JSON so every engine stores
 * the same thing (PostgreSQL jsonb and ESDB would drop `undefined` and turn dates into strings).
 */
export const validateNewEvents = (
  streamName: string,
  events: NewEvent[],
): Result<ValidNewEvent[], UnstorableEvent> => {
  const unstorable = findUnstorableEvent(streamName, events);
  if (unstorable) return err(unstorable);
  const parsed = newEventsSchema.safeParse(events);
  if (!parsed.success) {
    throw new TypeError(`Invalid events to append: ${z.prettifyError(parsed.error)}`);
  }
  return ok(
    parsed.data.map((event) => ({
      id: event.id.toLowerCase(),
      type: event.type,
      data: event.data === undefined ? null : JSON.parse(JSON.stringify(event.data)),
      metadata: event.metadata === undefined ? {} : JSON.parse(JSON.stringify(event.metadata)),
    })),
  );
};

/** Keeps the first of several events sharing an id: an id is stored once per stream. */
export const distinctById = <E extends { id: string }>(events: E[]): E[] => {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
};
