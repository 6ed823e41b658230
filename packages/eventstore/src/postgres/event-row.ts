import { z } from 'zod';
import type { RecordedEvent } from '../port.js';

/**
 * Columns every event read selects (from `events e`); bigints travel as text so no driver
 * rounds them. Order by `e.sequence`, never by the text aliases.
 */
export const eventColumns = `sequence::text AS sequence, stream_name, revision::text AS revision,
  event_id::text AS event_id, event_type, data, metadata,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at`;

const bigintText = z.string().regex(/^-?[0-9]+$/);

const eventRowSchema = z.object({
  sequence: bigintText,
  stream_name: z.string(),
  revision: bigintText,
  event_id: z.string(),
  event_type: z.string(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()),
  recorded_at: z.string(),
});

export const recordedEventOfRow = (row: unknown): RecordedEvent => {
  const parsed = eventRowSchema.parse(row);
  return {
    id: parsed.event_id,
    streamName: parsed.stream_name,
    type: parsed.event_type,
    data: parsed.data,
    metadata: parsed.metadata,
    revision: BigInt(parsed.revision),
    position: parsed.sequence,
    sequence: BigInt(parsed.sequence),
    recordedAt: parsed.recorded_at,
  };
};

const appendRowSchema = z.object({
  append_index: z.number().int().nonnegative(),
  outcome: z.enum(['appended', 'duplicate', 'conflict']),
  stream_revision: bigintText,
  last_sequence: bigintText.nullable(),
  written: z.number().int(),
});

export type AppendRow = z.infer<typeof appendRowSchema>;

export const appendOutcomeOfRow = (row: unknown): AppendRow => appendRowSchema.parse(row);

const headRowSchema = z.object({ head: bigintText.nullable() });

export const headOfRow = (row: unknown): string | undefined => headRowSchema.parse(row).head ?? undefined;

const checkpointRowSchema = z.object({ position: z.string() });

export const checkpointOfRow = (row: unknown): string => checkpointRowSchema.parse(row).position;
