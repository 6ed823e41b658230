import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  jsonEvent,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { Result, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { engineFailed, storeFailure } from '../errors.js';
import type { CheckpointStore } from '../port.js';
import { CHECKPOINT_EVENT_TYPE, CHECKPOINT_STREAM_PREFIX } from './esdb-recorded-event.js';

const checkpointDataSchema = z.object({ position: z.string() });

/** The data of the newest checkpoint event of a stream; undefined when the stream has none. */
const newestCheckpointData = async (
  client: EventStoreDBClient,
  streamName: string,
): Promise<{ data: unknown } | undefined> => {
  try {
    for await (const resolved of client.readStream(streamName, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: 1,
    })) {
      return { data: resolved.event?.data };
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  return undefined;
};

/**
 * A checkpoint is the last event of its own stream, capped at one event so that old
 * checkpoints are scavenged. Not a persistent subscription: we own where we resume.
 * Driver errors are classified as a read's are (docs/operations.md).
 */
export const esdbCheckpointStore = (client: EventStoreDBClient): CheckpointStore => {
  const capped = new Set<string>();
  const cap = async (streamName: string): Promise<void> => {
    if (capped.has(streamName)) return;
    await client.setStreamMetadata(streamName, { maxCount: 1 }).catch(() => undefined);
    capped.add(streamName);
  };
  return {
    load: (name) =>
      ResultAsync.fromPromise(newestCheckpointData(client, CHECKPOINT_STREAM_PREFIX + name), (cause) =>
        storeFailure(`Loading checkpoint ${name} failed`, cause),
      ).andThen((newest) =>
        Result.fromThrowable(
          () => (newest === undefined ? undefined : checkpointDataSchema.parse(newest.data).position),
          (cause) => engineFailed(`Loading checkpoint ${name} found an event of an unexpected shape`, cause),
        )(),
      ),
    store: (name, position) => {
      const streamName = CHECKPOINT_STREAM_PREFIX + name;
      return ResultAsync.fromPromise(
        cap(streamName).then(() =>
          client.appendToStream(streamName, jsonEvent({ type: CHECKPOINT_EVENT_TYPE, data: { position } })),
        ),
        (cause) => storeFailure(`Storing checkpoint ${name} failed`, cause),
      ).map(() => undefined);
    },
  };
};
