import { type ServiceState, syncStatuses } from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import { z } from 'zod';
import type { TeamEntry } from './team-read-model.js';

/**
 * Durable checkpoints of the status projection (docs/events.md#snapshots): now and then its
 * states (services and teams) are written, with the position they include, on a stream of their
 * own; the checkpoint store keeps the revision of the newest complete one. A restart restores
 * them and catches up from that position instead of folding every stream again. Events are
 * applied by stream revision, so states that ran ahead of the position (read-your-writes) are
 * never applied twice.
 *
 * One event may hold at most the store's bound (docs/limits.md), and a few thousand services
 * are more than that: the service states go into parts of at most `SNAPSHOT_PART_MAX_CHARS`,
 * one append each (a KurrentDB append is bounded as a whole, too), and a last event names the
 * parts by revision. The checkpoint moves only after that last event is stored, so a snapshot cut
 * short leaves parts nobody points at and the previous snapshot stays the one restored.
 */
export const SNAPSHOT_STREAM = 'projection-status-snapshots';
export const SNAPSHOT_CHECKPOINT = 'status-projection-snapshot';
/**
 * Bump when ServiceState, the team state or the snapshot's layout changes: older snapshots are
 * then ignored and the projection is rebuilt. Version 2 added the teams' sync pauses; version 3
 * splits the service states into parts.
 */
export const PROJECTION_VERSION = 3;
/** The most JSON characters of service states in one part: half of what the store takes per event. */
export const SNAPSHOT_PART_MAX_CHARS = 512 * 1024;
/** A bound on the parts one snapshot may name (about 500 MiB of states): a larger one is not written. */
const MAX_PARTS = 1_000;

const serviceStateSchema = z.looseObject({
  exists: z.literal(true),
  serviceId: z.string().min(1),
  companyId: z.string().min(1),
  revision: z.number().int().min(1),
  status: z.enum(syncStatuses),
});

const teamEntrySchema = z.object({
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
});

const snapshotSchema = z.object({
  projectionVersion: z.number().int(),
  snapshotId: z.string().min(1),
  position: z.string().min(1),
  /** Revisions of the parts on the snapshot stream, in order. */
  parts: z.array(z.number().int().min(0)).max(MAX_PARTS),
  teams: z.array(teamEntrySchema),
});

const partSchema = z.object({
  projectionVersion: z.number().int(),
  snapshotId: z.string().min(1),
  index: z.number().int().min(0),
  states: z.array(serviceStateSchema),
});

export interface StatusSnapshot {
  position: string;
  states: ServiceState[];
  teams: TeamEntry[];
}

function storeError(what: string, error: { message: string }): Error {
  return new Error(`${what}: ${error.message}`, { cause: error });
}

/** The newest usable snapshot, or null (none yet, another projection version, or unreadable). */
export async function loadStatusSnapshot(store: EventStore): Promise<StatusSnapshot | null> {
  const loaded = await store.checkpoints.load(SNAPSHOT_CHECKPOINT);
  if (loaded.isErr()) throw storeError('status snapshot checkpoint not read', loaded.error);
  const revision = loaded.value;
  if (revision === undefined || !/^\d+$/.test(revision)) return null;
  const read = await store.readStream(SNAPSHOT_STREAM, { fromRevision: BigInt(revision), maxCount: 1 });
  if (read.isErr()) throw storeError('status snapshot not read', read.error);
  const header = snapshotSchema.safeParse(read.value[0]?.data);
  if (!header.success || header.data.projectionVersion !== PROJECTION_VERSION) return null;
  const states: ServiceState[] = [];
  for (const [index, partRevision] of header.data.parts.entries()) {
    const partRead = await store.readStream(SNAPSHOT_STREAM, {
      fromRevision: BigInt(partRevision),
      maxCount: 1,
    });
    if (partRead.isErr()) throw storeError('status snapshot part not read', partRead.error);
    const part = partSchema.safeParse(partRead.value[0]?.data);
    // A part that is missing, of another snapshot or out of order: rebuild rather than guess.
    if (!part.success || part.data.snapshotId !== header.data.snapshotId || part.data.index !== index)
      return null;
    for (const state of part.data.states) states.push(state as unknown as ServiceState);
  }
  return { position: header.data.position, states, teams: header.data.teams };
}

/** The service states in parts of at most `maxChars` JSON characters each (at least one state per part). */
export function snapshotParts(states: readonly ServiceState[], maxChars: number): ServiceState[][] {
  const parts: ServiceState[][] = [];
  let current: ServiceState[] = [];
  let chars = 2;
  for (const state of states) {
    const size = JSON.stringify(state).length + 1;
    if (current.length > 0 && chars + size > maxChars) {
      parts.push(current);
      current = [];
      chars = 2;
    }
    current.push(state);
    chars += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** Writes a snapshot (its parts, then the event naming them) and moves the checkpoint to it. */
export async function saveStatusSnapshot(
  store: EventStore,
  newId: () => string,
  snapshot: StatusSnapshot,
): Promise<void> {
  const snapshotId = newId();
  const parts = snapshotParts(snapshot.states, SNAPSHOT_PART_MAX_CHARS);
  if (parts.length > MAX_PARTS)
    throw new Error(`status snapshot not written: ${parts.length} parts are more than ${MAX_PARTS}`);
  const revisions: number[] = [];
  for (const [index, states] of parts.entries()) {
    const appended = await store.appendToStream(
      SNAPSHOT_STREAM,
      [
        {
          id: newId(),
          type: 'StatusProjectionSnapshotPart',
          data: { projectionVersion: PROJECTION_VERSION, snapshotId, index, states },
        },
      ],
      { kind: 'any' },
    );
    if (appended.isErr()) throw storeError('status snapshot part not written', appended.error);
    revisions.push(Number(appended.value.nextExpectedRevision));
  }
  const appended = await store.appendToStream(
    SNAPSHOT_STREAM,
    [
      {
        id: snapshotId,
        type: 'StatusProjectionSnapshot',
        data: {
          projectionVersion: PROJECTION_VERSION,
          snapshotId,
          position: snapshot.position,
          parts: revisions,
          teams: snapshot.teams,
        },
      },
    ],
    { kind: 'any' },
  );
  if (appended.isErr()) throw storeError('status snapshot not written', appended.error);
  const stored = await store.checkpoints.store(
    SNAPSHOT_CHECKPOINT,
    appended.value.nextExpectedRevision.toString(),
  );
  if (stored.isErr()) throw storeError('status snapshot checkpoint not stored', stored.error);
}
