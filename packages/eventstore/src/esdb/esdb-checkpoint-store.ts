import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  jsonEvent,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { z } from 'zod';
import type { CheckpointStore } from '../port.js';
import { CHECKPOINT_EVENT_TYPE, CHECKPOINT_STREAM_PREFIX } from './esdb-recorded-event.js';

const checkpointDataSchema = z.object({ position: z.string() });

/**
 * A checkpoint is the last event of its own stream, capped at one event so that old
 * checkpoints are scavenged. Not a persistent subscription: we own where we resume.
 */
export const esdbCheckpointStore = (client: EventStoreDBClient): CheckpointStore => {
  const capped = new Set<string>();
  return {
    load: async (name) => {
      try {
        for await (const resolved of client.readStream(CHECKPOINT_STREAM_PREFIX + name, {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
        })) {
          return checkpointDataSchema.parse(resolved.event?.data).position;
        }
      } catch (error) {
        if (error instanceof StreamNotFoundError) return undefined;
        throw error;
      }
      return undefined;
    },
    store: async (name, position) => {
      const streamName = CHECKPOINT_STREAM_PREFIX + name;
      if (!capped.has(streamName)) {
        await client.setStreamMetadata(streamName, { maxCount: 1 }).catch(() => undefined);
        capped.add(streamName);
      }
      await client.appendToStream(streamName, jsonEvent({ type: CHECKPOINT_EVENT_TYPE, data: { position } }));
    },
  };
};
