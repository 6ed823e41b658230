import type { AllStreamResolvedEvent, ResolvedEvent } from '@eventstore/db-client';
import type { RecordedEvent } from '../port.js';
import { matchesStreamPrefixes } from '../stream-prefix.js';
import { encodeEsdbPosition } from './esdb-position.js';

/** Our checkpoints live in ESDB streams too; readers of $all must never see them. */
export const CHECKPOINT_STREAM_PREFIX = 'calsync-checkpoint-';
export const CHECKPOINT_EVENT_TYPE = '$calsync-checkpoint';

/** Whether an event of $all belongs to the application (not ESDB's nor our checkpoints). */
export const isApplicationEvent = (streamName: string, type: string): boolean =>
  !streamName.startsWith('$') && !type.startsWith('$') && !streamName.startsWith(CHECKPOINT_STREAM_PREFIX);

export const isWantedEvent = (event: RecordedEvent, prefixes: readonly string[] | undefined): boolean =>
  isApplicationEvent(event.streamName, event.type) && matchesStreamPrefixes(event.streamName, prefixes);

const asMetadata = (metadata: unknown): Record<string, unknown> =>
  typeof metadata === 'object' &&
  metadata !== null &&
  !Array.isArray(metadata) &&
  !(metadata instanceof Uint8Array)
    ? (metadata as Record<string, unknown>)
    : {};

/** Converts what the client read; undefined for links without their event. */
export const recordedEventOf = (
  resolved: AllStreamResolvedEvent | ResolvedEvent,
): RecordedEvent | undefined => {
  const event = resolved.event;
  if (!event) return undefined;
  const position = event.position;
  return {
    id: event.id,
    streamName: event.streamId,
    type: event.type,
    data: event.data,
    metadata: asMetadata(event.metadata),
    revision: event.revision,
    position: position ? encodeEsdbPosition(position) : '',
    sequence: position ? position.prepare : -1n,
    recordedAt: event.created.toISOString(),
  };
};
