import { randomUUID } from 'node:crypto';
import { foldService, SERVICE_STREAM_PREFIX } from '@calsync/domain';
import { createInMemoryEventStore, type EventStore, storeUnavailable } from '@calsync/eventstore';
import { errAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { storeWith } from '../../../test/support/store-with.js';
import { CommandBus } from '../src/commands/command-bus.js';
import { StatusProjection } from '../src/projection/status-projection.js';
import {
  loadStatusSnapshot,
  SNAPSHOT_CHECKPOINT,
  SNAPSHOT_PART_MAX_CHARS,
  SNAPSHOT_STREAM,
  saveStatusSnapshot,
  snapshotParts,
} from '../src/projection/status-snapshots.js';
import { fromRecorded } from '../src/services/event-codec.js';
import { ServiceCommandBus } from '../src/services/service-command-bus.js';
import { TeamSyncCommands } from '../src/sync/team-sync-commands.js';

const at = '2026-11-23T10:00:00.000Z';

async function register(bus: ServiceCommandBus, serviceId: string, name: string, description?: string) {
  const result = await bus.execute({
    type: 'RegisterService',
    serviceId,
    companyId: 'acme',
    actor: 'admin:alice',
    at,
    fields: {
      name,
      slug: serviceId,
      durationMinutes: 30,
      price: { amount: 3500, currency: 'EUR' },
      ...(description === undefined ? {} : { description }),
    },
    calcom: { teamId: 42, eventTypeId: Number(serviceId.replace(/\D/g, '')) },
    syncId: randomUUID(),
  });
  expect(result.isOk()).toBe(true);
}

/** A status projection, started, with the command bus that feeds it. */
async function running(store: EventStore) {
  const projection = new StatusProjection({ store });
  await projection.start();
  return { projection, bus: ServiceCommandBus.over(store, projection, randomUUID) };
}

/** Every service as its stream folds, without any projection. */
async function rebuiltFromStreams(store: EventStore) {
  const recorded = (
    await store.readAll({ streamPrefixes: [SERVICE_STREAM_PREFIX], maxCount: 10_000 })
  )._unsafeUnwrap();
  const streams = new Map<string, typeof recorded>();
  for (const event of recorded)
    streams.set(event.streamName, [...(streams.get(event.streamName) ?? []), event]);
  return [...streams.values()]
    .map((events) => foldService(events.map(fromRecorded)))
    .sort((a, b) => a.serviceId.localeCompare(b.serviceId));
}

/** `inner` with its checkpoint store replaced: every other call goes through unchanged. */
const withCheckpoints = (inner: EventStore, checkpoints: EventStore['checkpoints']): EventStore =>
  storeWith(inner, { checkpoints });

describe('the status projection’s durable checkpoint', () => {
  it('restores the snapshot and catches up from its position to the same states as a full rebuild', async () => {
    const store = createInMemoryEventStore();
    const first = await running(store);
    await register(first.bus, 's1', 'Haircut');
    await register(first.bus, 's2', 'Beard trim');
    await first.projection.caughtUp();
    await first.projection.snapshot();
    await register(first.bus, 's3', 'Colouring');

    const snapshot = await loadStatusSnapshot(store);
    expect(snapshot?.states.map((state) => state.serviceId).sort()).toEqual(['s1', 's2']);
    const restarted = await running(store);
    expect(
      restarted.projection.services.all().sort((a, b) => a.serviceId.localeCompare(b.serviceId)),
    ).toEqual(await rebuiltFromStreams(store));
    await Promise.all([first.projection.stop(), restarted.projection.stop()]);
  });

  it('uses the newest snapshot', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    await register(bus, 's1', 'Haircut');
    await projection.caughtUp();
    await projection.snapshot();
    await register(bus, 's2', 'Beard trim');
    await projection.caughtUp();
    await projection.snapshot();
    expect((await loadStatusSnapshot(store))?.states).toHaveLength(2);
    await projection.stop();
  });

  it('keeps a team paused on refused credentials across a restart from the snapshot', async () => {
    const store = createInMemoryEventStore();
    const { projection } = await running(store);
    const teamSync = new TeamSyncCommands(
      new CommandBus(store, randomUUID),
      projection.teamStates,
      () => new Date(at),
    );
    const details = { at, serviceId: 's1', httpStatus: 401, message: 'Cal.com refused the API key.' };
    expect((await teamSync.pause(42, details))._unsafeUnwrap()).toBe(true);
    await projection.caughtUp();
    await projection.snapshot();
    await projection.stop();

    expect((await loadStatusSnapshot(store))?.teams).toHaveLength(1);
    const restarted = await running(store);
    expect(restarted.projection.teams.pauseOf(42)).toEqual({
      since: at,
      serviceId: 's1',
      httpStatus: 401,
      message: 'Cal.com refused the API key.',
    });
    await restarted.projection.stop();
  });

  it('ignores a snapshot of another projection version, so the projection is rebuilt from the streams', async () => {
    const store = createInMemoryEventStore();
    const appended = await store.appendToStream(
      SNAPSHOT_STREAM,
      [
        {
          id: randomUUID(),
          type: 'StatusProjectionSnapshot',
          data: { projectionVersion: 0, position: '1', states: [] },
        },
      ],
      { kind: 'any' },
    );
    (
      await store.checkpoints.store(
        SNAPSHOT_CHECKPOINT,
        appended._unsafeUnwrap().nextExpectedRevision.toString(),
      )
    )._unsafeUnwrap();
    expect(await loadStatusSnapshot(store)).toBeNull();
  });

  it('writes the states of more services than one event holds in parts, and restores them all', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    // Long descriptions make each state large, so 1,500 services are several parts (the store takes 1 MiB per event).
    for (let i = 1; i <= 1_500; i++) await register(bus, `s${i}`, `Service ${i}`, 'x'.repeat(1_000));
    await projection.caughtUp();
    await projection.snapshot();
    await projection.stop();

    const parts = (await store.readStream(SNAPSHOT_STREAM))
      ._unsafeUnwrap()
      .filter((event) => event.type === 'StatusProjectionSnapshotPart');
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(JSON.stringify(part.data).length).toBeLessThan(1_048_576);
    const restored = await loadStatusSnapshot(store);
    expect(restored?.states).toHaveLength(1_500);
    const restarted = await running(store);
    expect(
      restarted.projection.services.all().sort((a, b) => a.serviceId.localeCompare(b.serviceId)),
    ).toEqual(await rebuiltFromStreams(store));
    await restarted.projection.stop();
  });

  it('restores nothing from a snapshot whose part belongs to another snapshot (the projection is rebuilt)', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    await register(bus, 's1', 'Haircut');
    await projection.caughtUp();
    const states = projection.services.all();
    await projection.stop();
    // The first part of an earlier snapshot that was cut short, then a snapshot naming it.
    let ids = 0;
    const stray = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
    await saveStatusSnapshot(store, stray, { position: '1', states, teams: [] });
    const events = (await store.readStream(SNAPSHOT_STREAM))._unsafeUnwrap();
    const header = events.at(-1);
    const data = header?.data as { parts: number[] };
    const appended = await store.appendToStream(
      SNAPSHOT_STREAM,
      [
        {
          id: randomUUID(),
          type: 'StatusProjectionSnapshot',
          data: { ...(header?.data as object), snapshotId: 'another', parts: data.parts },
        },
      ],
      { kind: 'any' },
    );
    await store.checkpoints.store(
      SNAPSHOT_CHECKPOINT,
      appended._unsafeUnwrap().nextExpectedRevision.toString(),
    );
    expect(await loadStatusSnapshot(store)).toBeNull();
  });

  it('splits states into parts within the bound, in order, none empty', () => {
    const state = (i: number) => ({ serviceId: `s${i}`, note: 'y'.repeat(i % 7 === 0 ? 300 : 40) });
    const states = Array.from({ length: 500 }, (_, i) => state(i)) as never[];
    const parts = snapshotParts(states, 2_000);
    expect(parts.flat()).toEqual(states);
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(JSON.stringify(part).length).toBeLessThanOrEqual(2_000);
    }
    expect(snapshotParts(states, SNAPSHOT_PART_MAX_CHARS)).toHaveLength(1);
  });

  it('after a refused snapshot tries again only after as many events again, not at every event', async () => {
    const inner = createInMemoryEventStore();
    let snapshotAppends = 0;
    const refusing: EventStore['appendToStream'] = (...args) => {
      if (args[0] !== SNAPSHOT_STREAM) return inner.appendToStream(...args);
      snapshotAppends++;
      return errAsync({ code: 'EVENTSTORE.ENGINE_FAILED', message: 'disk full' });
    };
    const store = storeWith(inner, { appendToStream: refusing });
    const projection = new StatusProjection({ store, snapshotEveryEvents: 5, snapshotEveryMs: 3_600_000 });
    await projection.start();
    const bus = ServiceCommandBus.over(store, projection, randomUUID);
    for (let i = 1; i <= 30; i++) {
      await register(bus, `s${i}`, `Service ${i}`);
      await projection.caughtUp();
    }
    // One try at every fifth event at most, never one per event once the first try failed.
    const handled = (await inner.readAll({ maxCount: 10_000 }))._unsafeUnwrap().length;
    expect(handled).toBeGreaterThan(30);
    expect(snapshotAppends).toBeGreaterThan(0);
    expect(snapshotAppends).toBeLessThanOrEqual(Math.ceil(handled / 5));
    await projection.stop();
  });

  it('fails to restore, rather than rebuilding silently, while the checkpoint store cannot be reached', async () => {
    const inner = createInMemoryEventStore();
    const unreachable = storeUnavailable('Loading checkpoint status-projection-snapshot failed');
    const store = withCheckpoints(inner, {
      load: () => errAsync(unreachable),
      store: () => errAsync(unreachable),
    });
    await expect(loadStatusSnapshot(store)).rejects.toMatchObject({ cause: unreachable });
  });

  it('reports a snapshot whose checkpoint could not be stored', async () => {
    const inner = createInMemoryEventStore();
    const unreachable = storeUnavailable('Storing checkpoint status-projection-snapshot failed');
    const store = withCheckpoints(inner, {
      load: (name) => inner.checkpoints.load(name),
      store: () => errAsync(unreachable),
    });
    await expect(
      saveStatusSnapshot(store, randomUUID, { position: '1', states: [], teams: [] }),
    ).rejects.toMatchObject({ cause: unreachable });
    expect((await inner.checkpoints.load(SNAPSHOT_CHECKPOINT))._unsafeUnwrap()).toBeUndefined();
  });

  it('has nothing to restore before the first snapshot', async () => {
    expect(await loadStatusSnapshot(createInMemoryEventStore())).toBeNull();
  });
});
