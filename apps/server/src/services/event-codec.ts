import { parseServiceEvent, type ServiceEvent } from '@calsync/domain';
import type { NewEvent, RecordedEvent } from '@calsync/eventstore';

/** A domain event as the store keeps it: the type, and the payload (validated on write). */
export function toNewEvent(event: ServiceEvent, id: string): NewEvent {
  const checked = parseServiceEvent(event.type, event.data);
  if (checked.isErr()) {
    // The decider produced an event its own schema rejects: a bug, never an expected failure.
    throw new Error(`${checked.error.message} ${JSON.stringify(checked.error.issues)}`);
  }
  return { id, type: event.type, data: checked.value.data };
}

/** A stored service event validated (and upcast) on read. A stored event that fails is corrupt. */
export function fromRecorded(recorded: RecordedEvent): ServiceEvent {
  const parsed = parseServiceEvent(recorded.type, recorded.data);
  if (parsed.isErr()) {
    throw new Error(
      `Stored event ${recorded.id} at ${recorded.streamName}@${recorded.revision} is unreadable: ${parsed.error.message} ${JSON.stringify(parsed.error.issues)}`,
    );
  }
  return parsed.value;
}
