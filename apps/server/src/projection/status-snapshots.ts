import { type ServiceState, syncStatuses } from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import { z } from 'zod';
import type { TeamEntry } from './team-read-model.js';

/**
 * Durable checkpoints of the status projection: now and then its states (services and teams) are written, with
 * the position they include, as an event on a stream of its own; the checkpoint store keeps
 * the revision of the newest one. A restart restores them and catches up from that position
 * instead of folding every stream again. Events are applied by stream revision, so states
 * that ran ahead of the position (read-your-writes) are never applied twice.
 */
export const SNAPSHOT_STREAM = 'projection-status-snapshots';
export const SNAPSHOT_CHECKPOINT = 'status-projection-snapshot';
/**
 * Bump when ServiceState or the team state changes shape: older snapshots are then ignored and
 * the projection is rebuilt. Version 2 added the teams' sync pauses.
 */
export const PROJECTION_VERSION = 2;

const snapshotSchema = z.object({
  projectionVersion: z.number().int(),
  position: z.string().min(1),
  states: z.array(
    z.looseObject({
      exists: z.literal(true),
      serviceId: z.string().min(1),
      companyId: z.string().min(1),
      revision: z.number().int().min(1),
      status: z.enum(syncStatuses),
    }),
  ),
  teams: z.array(
    z.object({
      teamId: z.number().int(),
      revision: z.number().int().min(1),
      state: z.object({
        paused: z
          .object({
            since: z.string().min(1),
            message: z.string(),
            httpStatus: z.number().int().nullable(),
            serviceId: z.string().min(1),
          })
          .nullable(),
      }),
    }),
  ),
});

export interface StatusSnapshot {
  position: string;
  states: ServiceState[];
  teams: TeamEntry[];
}

/** The newest usable snapshot, or null (none yet, another projection version, or unreadable). */
export async function loadStatusSnapshot(store: EventStore): Promise<StatusSnapshot | null> {
  const loaded = await store.checkpoints.load(SNAPSHOT_CHECKPOINT);
  if (loaded.isErr()) throw new Error(loaded.error.message, { cause: loaded.error });
  const revision = loaded.value;
  if (revision === undefined || !/^\d+$/.test(revision)) return null;
  const read = await store.readStream(SNAPSHOT_STREAM, { fromRevision: BigInt(revision), maxCount: 1 });
  if (read.isErr()) throw new Error(read.error.message, { cause: read.error });
  const [event] = read.value;
  const parsed = snapshotSchema.safeParse(event?.data);
  if (!parsed.success || parsed.data.projectionVersion !== PROJECTION_VERSION) return null;
  return {
    position: parsed.data.position,
    states: parsed.data.states as unknown as ServiceState[],
    teams: parsed.data.teams,
  };
}

/** Writes a snapshot and moves the checkpoint to it. */
export async function saveStatusSnapshot(
  store: EventStore,
  id: string,
  snapshot: StatusSnapshot,
): Promise<void> {
  const appended = await store.appendToStream(
    SNAPSHOT_STREAM,
    [
      {
        id,
        type: 'StatusProjectionSnapshot',
        data: {
          projectionVersion: PROJECTION_VERSION,
          position: snapshot.position,
          states: snapshot.states,
          teams: snapshot.teams,
        },
      },
    ],
    { kind: 'any' },
  );
  if (appended.isErr()) throw new Error(`status snapshot not written: ${appended.error.message}`);
  const stored = await store.checkpoints.store(
    SNAPSHOT_CHECKPOINT,
    appended.value.nextExpectedRevision.toString(),
  );
  if (stored.isErr())
    throw new Error(`status snapshot checkpoint not stored: ${stored.error.message}`, {
      cause: stored.error,
    });
}
