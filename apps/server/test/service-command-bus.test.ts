import { randomUUID } from 'node:crypto';
import { type CalcomSnapshot, foldService, serviceStreamName, toCalcomValues } from '@calsync/domain';
import { createInMemoryEventStore } from '@calsync/eventstore';
import { describe, expect, it } from 'vitest';
import { StatusProjection } from '../src/projection/status-projection.js';
import { fromRecorded } from '../src/services/event-codec.js';
import { ServiceCommandBus } from '../src/services/service-command-bus.js';

const meta = { serviceId: 's1', companyId: 'acme', at: '2026-11-23T10:00:00.000Z' } as const;
const fields = {
  name: 'Haircut',
  slug: 'haircut',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};

async function syncedService() {
  const store = createInMemoryEventStore();
  const projection = new StatusProjection({ store });
  const readModel = projection.services;
  const bus = ServiceCommandBus.over(store, projection, randomUUID);
  const syncId = randomUUID();
  const registered = await bus.execute({
    ...meta,
    type: 'RegisterService',
    actor: 'admin:alice',
    fields,
    calcom: { teamId: 42, eventTypeId: 1001 },
    syncId,
  });
  const pushed = toCalcomValues(registered._unsafeUnwrap().state.fields!);
  await bus.execute({
    ...meta,
    type: 'RecordSyncSucceeded',
    actor: 'system:sync',
    syncId,
    eventTypeId: 1001,
    pushed,
    durationMs: 5,
  });
  const snapshot: CalcomSnapshot = {
    ...pushed,
    id: 1001,
    teamId: 42,
    title: 'Edited in Cal.com',
    price: 3500,
    currency: 'eur',
  };
  return { store, readModel, bus, snapshot };
}

async function storedState(store: ReturnType<typeof createInMemoryEventStore>) {
  return foldService((await store.readStream(serviceStreamName('s1')))._unsafeUnwrap().map(fromRecorded));
}

/** Bob edits the service through a process whose read model this one never sees. */
async function editInAnotherProcess(store: ReturnType<typeof createInMemoryEventStore>) {
  const other = ServiceCommandBus.over(store, new StatusProjection({ store }), randomUUID);
  await other.execute({
    ...meta,
    type: 'EditService',
    actor: 'admin:bob',
    patch: { durationMinutes: 45 },
    syncId: randomUUID(),
  });
}

describe('the service command bus', () => {
  it('treats a redelivered observation whose events are already stored as nothing new, also after a resolution', async () => {
    const { store, readModel, bus, snapshot } = await syncedService();
    const eventId = (_event: unknown, index: number) => `00000000-0000-4000-8000-00000000000${index}`;
    const observe = () =>
      bus.execute(
        { ...meta, type: 'RecordCalcomObservation', actor: 'calcom:webhook', source: 'webhook', snapshot },
        { eventId },
      );
    expect((await observe())._unsafeUnwrap().events.map((event) => event.type)).toEqual(['CalcomDiverged']);
    await bus.execute({
      ...meta,
      type: 'ResolveDivergence',
      actor: 'admin:alice',
      decisions: { name: 'keep_platform' },
      confirm: false,
      syncId: randomUUID(),
    });

    const redelivered = (await observe())._unsafeUnwrap();
    expect(redelivered.events).toEqual([]);
    expect(readModel.get('s1')).toEqual(await storedState(store));
    expect(readModel.get('s1')?.divergence).toBeNull();
  });

  it('decides again on the stored stream when the read model is behind another writer', async () => {
    const { store, readModel, bus } = await syncedService();
    await editInAnotherProcess(store);
    const edited = await bus.execute({
      ...meta,
      type: 'EditService',
      actor: 'admin:alice',
      patch: { name: 'Cut' },
      syncId: randomUUID(),
    });

    expect(edited._unsafeUnwrap().state.fields).toMatchObject({ name: 'Cut', durationMinutes: 45 });
    expect(readModel.get('s1')).toEqual(await storedState(store));
  });

  it('refuses a stale If-Match after a concurrent writer, as a revision conflict', async () => {
    const { store, bus } = await syncedService();
    const revision = (await storedState(store)).revision;
    await editInAnotherProcess(store);
    const edited = await bus.execute({
      ...meta,
      type: 'EditService',
      actor: 'admin:alice',
      patch: { name: 'Cut' },
      expectedRevision: revision,
      syncId: randomUUID(),
    });
    expect(edited._unsafeUnwrapErr().code).toBe('REVISION_CONFLICT');
  });
});
