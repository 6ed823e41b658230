import { randomUUID } from 'node:crypto';
import { createInMemoryEventStore, type EventStore } from '@calsync/eventstore';
import { describe, expect, it } from 'vitest';
import { ServiceCommandBus } from '../src/services/service-command-bus.js';
import { ServiceReadModel } from '../src/services/service-read-model.js';
import {
  loadStatusSnapshot,
  SNAPSHOT_CHECKPOINT,
  SNAPSHOT_STREAM,
  saveStatusSnapshot,
} from '../src/services/status-snapshots.js';

const at = '2026-11-23T10:00:00.000Z';

async function register(bus: ServiceCommandBus, serviceId: string, name: string) {
  const result = await bus.execute({
    type: 'RegisterService',
    serviceId,
    companyId: 'acme',
    actor: 'admin:alice',
    at,
    fields: { name, slug: serviceId, durationMinutes: 30, price: { amount: 3500, currency: 'EUR' } },
    calcom: { teamId: 42, eventTypeId: Number(serviceId.replace(/\D/g, '')) },
    syncId: randomUUID(),
  });
  expect(result.isOk()).toBe(true);
}

async function follow(store: EventStore, model: ServiceReadModel, after?: string) {
  const subscription = store.subscribe({
    streamPrefixes: ['service-'],
    ...(after ? { after } : {}),
    handler: (event) => model.handle(event),
  });
  await subscription.caughtUp();
  return subscription;
}

describe('the status projection’s durable checkpoint', () => {
  it('restores the snapshot and catches up from its position to the same states as a full rebuild', async () => {
    const store = createInMemoryEventStore();
    const first = new ServiceReadModel(store);
    const bus = new ServiceCommandBus(store, first, randomUUID);
    const live = await follow(store, first);
    await register(bus, 's1', 'Haircut');
    await register(bus, 's2', 'Beard trim');
    await live.caughtUp();
    await saveStatusSnapshot(store, randomUUID(), { position: live.lastPosition!, states: first.all() });
    await register(bus, 's3', 'Colouring');
    await live.stop();

    const snapshot = await loadStatusSnapshot(store);
    expect(snapshot?.states.map((state) => state.serviceId).sort()).toEqual(['s1', 's2']);
    const restored = new ServiceReadModel(store);
    restored.restore(snapshot!.states);
    const resumed = await follow(store, restored, snapshot!.position);

    const rebuilt = new ServiceReadModel(store);
    const full = await follow(store, rebuilt);
    expect(restored.all().sort((a, b) => a.serviceId.localeCompare(b.serviceId))).toEqual(
      rebuilt.all().sort((a, b) => a.serviceId.localeCompare(b.serviceId)),
    );
    await Promise.all([resumed.stop(), full.stop()]);
  });

  it('uses the newest snapshot', async () => {
    const store = createInMemoryEventStore();
    const model = new ServiceReadModel(store);
    const bus = new ServiceCommandBus(store, model, randomUUID);
    const live = await follow(store, model);
    await register(bus, 's1', 'Haircut');
    await live.caughtUp();
    await saveStatusSnapshot(store, randomUUID(), { position: live.lastPosition!, states: model.all() });
    await register(bus, 's2', 'Beard trim');
    await live.caughtUp();
    await saveStatusSnapshot(store, randomUUID(), { position: live.lastPosition!, states: model.all() });
    expect((await loadStatusSnapshot(store))?.states).toHaveLength(2);
    await live.stop();
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
    await store.checkpoints.store(
      SNAPSHOT_CHECKPOINT,
      appended._unsafeUnwrap().nextExpectedRevision.toString(),
    );
    expect(await loadStatusSnapshot(store)).toBeNull();
  });

  it('has nothing to restore before the first snapshot', async () => {
    expect(await loadStatusSnapshot(createInMemoryEventStore())).toBeNull();
  });
});
