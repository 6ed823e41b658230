import { randomUUID } from 'node:crypto';
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
 * Incremental: a snapshot is a **base** (every service state, in parts of at most
 * `SNAPSHOT_PART_MAX_CHARS`, one append each: one event may hold at most the store's bound,
 * docs/limits.md) followed by **deltas** (only the states whose revision changed since the
 * previous snapshot of this process, in parts too). The last event, the manifest, names every
 * part still in force by revision and event id, in the order they apply; parts are never
 * rewritten, so a new manifest points at the older parts it keeps. Once the deltas hold more
 * than the base (or too many parts), the next snapshot is a new base: restoring reads at most
 * about twice the states, and the stream grows with the states that changed, not with all
 * states at every snapshot. The checkpoint moves only after the manifest is stored, so a
 * snapshot cut short leaves parts nobody points at and the previous snapshot stays the one
 * restored.
 */
export const SNAPSHOT_STREAM = 'projection-status-snapshots';
export const SNAPSHOT_CHECKPOINT = 'status-projection-snapshot';
/**
 * Bump when ServiceState, the team state or the snapshot's layout changes: older snapshots are
 * then ignored and the projection is rebuilt. Version 2 added the teams' sync pauses; version 3
 * split the service states into parts; version 4 made snapshots incremental (base and deltas).
 */
export const PROJECTION_VERSION = 4;
/** The most JSON characters of service states in one part: half of what the store takes per event. */
export const SNAPSHOT_PART_MAX_CHARS = 512 * 1024;
/** A bound on the parts one snapshot may name (about 500 MiB of states): a larger one is not written. */
const MAX_PARTS = 1_000;
/** Delta parts a snapshot may name before the next one is a new base (restores read each part). */
export const MAX_DELTA_PARTS = 64;

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

const partRefSchema = z.object({
  /** Revision of the part on the snapshot stream. */
  revision: z.number().int().min(0),
  /** The part event's id: a revision holding another event is not this part. */
  id: z.string().min(1),
  kind: z.enum(['base', 'delta']),
  /** JSON characters of its states (what decides when the next base is due). */
  chars: z.number().int().min(0),
});
type PartRef = z.infer<typeof partRefSchema>;

const manifestSchema = z.object({
  projectionVersion: z.number().int(),
  snapshotId: z.string().min(1),
  position: z.string().min(1),
  /** The parts in the order they apply: the base's, then the deltas' (a later state wins). */
  parts: z.array(partRefSchema).max(MAX_PARTS),
  teams: z.array(teamEntrySchema),
});

const partSchema = z.object({
  projectionVersion: z.number().int(),
  states: z.array(serviceStateSchema),
});

export interface StatusSnapshot {
  position: string;
  /** In registration order (the order the read model lists them in). */
  states: ServiceState[];
  teams: TeamEntry[];
}

/** What this process knows is stored: the parts in force and the revision each service has there. */
interface Stored {
  parts: PartRef[];
  revisions: Map<string, number>;
}

function storeError(what: string, error: { message: string }): Error {
  return new Error(`${what}: ${error.message}`, { cause: error });
}

/** The service states in parts of at most `maxChars` JSON characters each (at least one state per part). */
export function snapshotParts(states: readonly ServiceState[], maxChars: number): ServiceState[][] {
  return sizedParts(states, maxChars).map((part) => part.states);
}

function sizedParts(
  states: readonly ServiceState[],
  maxChars: number,
): Array<{ states: ServiceState[]; chars: number }> {
  const parts: Array<{ states: ServiceState[]; chars: number }> = [];
  let current: ServiceState[] = [];
  let chars = 2;
  for (const state of states) {
    const size = JSON.stringify(state).length + 1;
    if (current.length > 0 && chars + size > maxChars) {
      parts.push({ states: current, chars });
      current = [];
      chars = 2;
    }
    current.push(state);
    chars += size;
  }
  if (current.length > 0) parts.push({ states: current, chars });
  return parts;
}

/**
 * The snapshots of one status projection: `load` restores the newest, `save` writes the next,
 * a delta on top of what this instance loaded or saved last when that is cheaper than a base.
 */
export class StatusSnapshots {
  #stored: Stored | undefined;
  #saving = false;

  constructor(
    private readonly store: EventStore,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** The newest usable snapshot, or null (none yet, another projection version, or unreadable). */
  async load(): Promise<StatusSnapshot | null> {
    const loaded = await this.store.checkpoints.load(SNAPSHOT_CHECKPOINT);
    if (loaded.isErr()) throw storeError('status snapshot checkpoint not read', loaded.error);
    const revision = loaded.value;
    if (revision === undefined || !/^\d+$/.test(revision)) return null;
    const read = await this.store.readStream(SNAPSHOT_STREAM, {
      fromRevision: BigInt(revision),
      maxCount: 1,
    });
    if (read.isErr()) throw storeError('status snapshot not read', read.error);
    const manifest = manifestSchema.safeParse(read.value[0]?.data);
    if (!manifest.success || manifest.data.projectionVersion !== PROJECTION_VERSION) return null;
    // Base, then deltas: a later state of a service replaces an earlier one where it stood, and a
    // service first met in a delta was registered after every service before it.
    const states = new Map<string, ServiceState>();
    for (const ref of manifest.data.parts) {
      const partRead = await this.store.readStream(SNAPSHOT_STREAM, {
        fromRevision: BigInt(ref.revision),
        maxCount: 1,
      });
      if (partRead.isErr()) throw storeError('status snapshot part not read', partRead.error);
      const recorded = partRead.value[0];
      const part = partSchema.safeParse(recorded?.data);
      // A part that is missing, another event or of another version: rebuild rather than guess.
      if (
        !part.success ||
        recorded?.id !== ref.id ||
        recorded.type !== 'StatusProjectionSnapshotPart' ||
        part.data.projectionVersion !== PROJECTION_VERSION
      )
        return null;
      for (const state of part.data.states) states.set(state.serviceId, state as unknown as ServiceState);
    }
    const restored = [...states.values()];
    this.#stored = {
      parts: manifest.data.parts,
      revisions: new Map(restored.map((state) => [state.serviceId, state.revision])),
    };
    return { position: manifest.data.position, states: restored, teams: manifest.data.teams };
  }

  /**
   * Writes a snapshot and moves the checkpoint to it: the states changed since the last snapshot
   * this instance knows of as a delta, or every state as a new base when there is none yet or
   * the deltas would outgrow the base. One save at a time.
   */
  async save(snapshot: StatusSnapshot): Promise<void> {
    if (this.#saving) throw new Error('StatusSnapshots.save() runs one at a time');
    this.#saving = true;
    try {
      await this.#save(snapshot);
    } finally {
      this.#saving = false;
    }
  }

  async #save(snapshot: StatusSnapshot): Promise<void> {
    const stored = this.#stored;
    const changed = stored
      ? snapshot.states.filter((state) => stored.revisions.get(state.serviceId) !== state.revision)
      : [];
    const delta = stored ? sizedParts(changed, SNAPSHOT_PART_MAX_CHARS) : [];
    const base = (stored?.parts ?? []).filter((part) => part.kind === 'base');
    const deltas = (stored?.parts ?? []).filter((part) => part.kind === 'delta');
    const sum = (parts: ReadonlyArray<{ chars: number }>) =>
      parts.reduce((total, part) => total + part.chars, 0);
    const asDelta =
      stored !== undefined &&
      base.length > 0 &&
      sum(deltas) + sum(delta) <= sum(base) &&
      deltas.length + delta.length <= MAX_DELTA_PARTS &&
      stored.parts.length + delta.length <= MAX_PARTS;
    const written = asDelta
      ? { kind: 'delta' as const, parts: delta }
      : { kind: 'base' as const, parts: sizedParts(snapshot.states, SNAPSHOT_PART_MAX_CHARS) };
    if (written.parts.length > MAX_PARTS)
      throw new Error(
        `status snapshot not written: ${written.parts.length} parts are more than ${MAX_PARTS}`,
      );

    const refs: PartRef[] = asDelta && stored ? [...stored.parts] : [];
    for (const part of written.parts) {
      const id = this.newId();
      const appended = await this.store.appendToStream(
        SNAPSHOT_STREAM,
        [
          {
            id,
            type: 'StatusProjectionSnapshotPart',
            data: { projectionVersion: PROJECTION_VERSION, states: part.states },
          },
        ],
        { kind: 'any' },
      );
      if (appended.isErr()) throw storeError('status snapshot part not written', appended.error);
      refs.push({
        revision: Number(appended.value.nextExpectedRevision),
        id,
        kind: written.kind,
        chars: part.chars,
      });
    }
    const snapshotId = this.newId();
    const appended = await this.store.appendToStream(
      SNAPSHOT_STREAM,
      [
        {
          id: snapshotId,
          type: 'StatusProjectionSnapshot',
          data: {
            projectionVersion: PROJECTION_VERSION,
            snapshotId,
            position: snapshot.position,
            parts: refs,
            teams: snapshot.teams,
          },
        },
      ],
      { kind: 'any' },
    );
    if (appended.isErr()) throw storeError('status snapshot not written', appended.error);
    const checkpointed = await this.store.checkpoints.store(
      SNAPSHOT_CHECKPOINT,
      appended.value.nextExpectedRevision.toString(),
    );
    if (checkpointed.isErr()) throw storeError('status snapshot checkpoint not stored', checkpointed.error);
    const revisions = asDelta && stored ? stored.revisions : new Map<string, number>();
    for (const part of written.parts)
      for (const state of part.states) revisions.set(state.serviceId, state.revision);
    this.#stored = { parts: refs, revisions };
  }
}

/** The newest usable snapshot, or null (none yet, another projection version, or unreadable). */
export function loadStatusSnapshot(store: EventStore): Promise<StatusSnapshot | null> {
  return new StatusSnapshots(store).load();
}

/** Writes a snapshot holding every state (a base) and moves the checkpoint to it. */
export function saveStatusSnapshot(
  store: EventStore,
  newId: () => string,
  snapshot: StatusSnapshot,
): Promise<void> {
  return new StatusSnapshots(store, newId).save(snapshot);
}
