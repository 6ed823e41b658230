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

async function edit(bus: ServiceCommandBus, serviceId: string, patch: Record<string, unknown>) {
  const result = await bus.execute({
    type: 'EditService',
    serviceId,
    companyId: 'acme',
    actor: 'admin:alice',
    at,
    patch,
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

  it('restores nothing from a snapshot naming a part that holds another event (the projection is rebuilt)', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    await register(bus, 's1', 'Haircut');
    await projection.caughtUp();
    const states = projection.services.all();
    await projection.stop();
    await saveStatusSnapshot(store, randomUUID, { position: '1', states, teams: [] });
    const manifest = (await store.readStream(SNAPSHOT_STREAM))._unsafeUnwrap().at(-1);
    const data = manifest?.data as { parts: Array<{ id: string }> };
    // The same revisions, but the part is not the event the manifest says it is.
    const appended = await store.appendToStream(
      SNAPSHOT_STREAM,
      [
        {
          id: randomUUID(),
          type: 'StatusProjectionSnapshot',
          data: {
            ...(manifest?.data as object),
            parts: data.parts.map((part) => ({ ...part, id: randomUUID() })),
          },
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

  it('writes only the services that changed since the last snapshot, and restores base and deltas to a full rebuild', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    for (let i = 1; i <= 300; i++) await register(bus, `s${i}`, `Service ${i}`, 'x'.repeat(1_000));
    await projection.caughtUp();
    await projection.snapshot();
    const afterBase = (await store.readStream(SNAPSHOT_STREAM))._unsafeUnwrap().length;
    await edit(bus, 's7', { name: 'Haircut deluxe' });
    await edit(bus, 's250', { durationMinutes: 45 });
    await register(bus, 's301', 'Colouring');
    await projection.caughtUp();
    await projection.snapshot();
    await projection.stop();

    const written = (await store.readStream(SNAPSHOT_STREAM))._unsafeUnwrap().slice(afterBase);
    const delta = written.filter((event) => event.type === 'StatusProjectionSnapshotPart');
    expect(delta).toHaveLength(1);
    const changed = (delta[0]?.data as { states: Array<{ serviceId: string }> }).states.map(
      (s) => s.serviceId,
    );
    expect(changed).toEqual(['s7', 's250', 's301']);
    const manifest = written.at(-1)?.data as { parts: Array<{ kind: string }> };
    expect(manifest.parts.filter((part) => part.kind === 'base').length).toBeGreaterThan(0);
    expect(manifest.parts.at(-1)?.kind).toBe('delta');

    const restarted = await running(store);
    // Registration order survives the restore (pages are cut by it).
    expect(restarted.projection.services.all().map((state) => state.serviceId)).toEqual(
      Array.from({ length: 301 }, (_, i) => `s${i + 1}`),
    );
    expect(
      restarted.projection.services.all().sort((a, b) => a.serviceId.localeCompare(b.serviceId)),
    ).toEqual(await rebuiltFromStreams(store));
    await restarted.projection.stop();
  });

  it('writes a new base once the deltas would hold more than the base', async () => {
    const store = createInMemoryEventStore();
    const { projection, bus } = await running(store);
    for (let i = 1; i <= 4; i++) await register(bus, `s${i}`, `Service ${i}`);
    await projection.caughtUp();
    await projection.snapshot();
    for (let round = 1; round <= 3; round++) {
      for (let i = 1; i <= 4; i++) await edit(bus, `s${i}`, { durationMinutes: 30 + round });
      await projection.caughtUp();
      await projection.snapshot();
    }
    await projection.stop();
    const manifest = (await store.readStream(SNAPSHOT_STREAM))._unsafeUnwrap().at(-1)?.data as {
      parts: Array<{ kind: string; chars: number }>;
    };
    const chars = (kind: string) =>
      manifest.parts.filter((part) => part.kind === kind).reduce((sum, part) => sum + part.chars, 0);
    expect(chars('delta')).toBeLessThanOrEqual(chars('base'));
    const restored = await loadStatusSnapshot(store);
    expect(restored?.states.map((state) => state.revision)).toEqual(
      (await rebuiltFromStreams(store)).map((state) => state.revision),
    );
  });

  it('keeps the previous snapshot restorable when a delta is cut short before its manifest', async () => {
    const inner = createInMemoryEventStore();
    let refuseManifest = false;
    const refusing: EventStore['appendToStream'] = (...args) => {
      if (refuseManifest && args[0] === SNAPSHOT_STREAM && args[1][0]?.type === 'StatusProjectionSnapshot')
        return errAsync({ code: 'EVENTSTORE.UNAVAILABLE', message: 'connection lost' });
      return inner.appendToStream(...args);
    };
    const store = storeWith(inner, { appendToStream: refusing });
    const { projection, bus } = await running(store);
    await register(bus, 's1', 'Haircut');
    await register(bus, 's2', 'Beard trim');
    await projection.caughtUp();
    await projection.snapshot();
    const revisionsOf = () => projection.services.all().map((state) => [state.serviceId, state.revision]);
    const before = revisionsOf();
    await edit(bus, 's1', { name: 'Haircut deluxe' });
    await projection.caughtUp();
    const after = revisionsOf();
    expect(after).not.toEqual(before);
    refuseManifest = true;
    await projection.snapshot();
    refuseManifest = false;

    const restored = await loadStatusSnapshot(store);
    expect(restored?.states.map((state) => [state.serviceId, state.revision])).toEqual(before);
    // The next snapshot still writes what changed, on top of the snapshot that is in force.
    await projection.snapshot();
    const latest = await loadStatusSnapshot(store);
    expect(latest?.states.map((state) => [state.serviceId, state.revision])).toEqual(after);
    await projection.stop();
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
