import { randomUUID } from 'node:crypto';
import { defaultFields, serviceStreamName } from '@calsync/domain';
import {
  createInMemoryEventStore,
  type EventStore,
  engineFailed,
  expected,
  type ReadAllOptions,
  storeUnavailable,
} from '@calsync/eventstore';
import { errAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { storeWith } from '../../../test/support/store-with.js';
import { AuditFeed } from '../src/audit/audit-feed.js';

const at = '2026-01-01T00:00:00.000Z';
const base = (serviceId: string, companyId: string) => ({
  schemaVersion: 1,
  serviceId,
  companyId,
  actor: 'admin:ops',
  at,
});

/** Registers a service of a company and renames it `edits` times: 1 + edits audit entries. */
async function serviceWithEdits(store: EventStore, companyId: string, serviceId: string, edits: number) {
  const fields = {
    ...defaultFields,
    name: 'Cut 0',
    slug: 'cut',
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
  };
  const events = [
    {
      id: randomUUID(),
      type: 'ServiceRegistered',
      data: { ...base(serviceId, companyId), fields, origin: 'platform' },
    },
    ...Array.from({ length: edits }, (_, edit) => ({
      id: randomUUID(),
      type: 'ServiceEdited',
      data: {
        ...base(serviceId, companyId),
        changes: [{ field: 'name', from: `Cut ${edit}`, to: `Cut ${edit + 1}` }],
        reason: 'edit',
      },
    })),
  ];
  for (const event of events)
    (await store.appendToStream(serviceStreamName(serviceId), [event], expected.any))._unsafeUnwrap();
}

/** Counts what the feed asks of the store: events handed back by read-all, and pings. */
function observedStore(
  inner: EventStore,
  readAll?: (options?: ReadAllOptions) => ReturnType<EventStore['readAll']>,
) {
  const seen = { eventsRead: 0, pings: 0 };
  const store = storeWith(inner, {
    readAll: (options) =>
      (readAll ?? ((o) => inner.readAll(o)))(options).map((events) => {
        seen.eventsRead += events.length;
        return events;
      }),
    ping: async () => {
      seen.pings += 1;
      return inner.ping();
    },
  });
  return { store, seen };
}

describe('the company audit feed', () => {
  it('pages through one company’s entries in commit order, the last page ending with no cursor', async () => {
    const inner = createInMemoryEventStore();
    await serviceWithEdits(inner, 'acme', 'a1', 2);
    await serviceWithEdits(inner, 'globex', 'g1', 3);
    await serviceWithEdits(inner, 'acme', 'a2', 1);
    const feed = new AuditFeed(inner);

    const first = (await feed.companyPage('acme', 3))._unsafeUnwrap();
    const second = (await feed.companyPage('acme', 3, first.next ?? undefined))._unsafeUnwrap();

    expect(first.items.map((entry) => [entry.serviceId, entry.event])).toEqual([
      ['a1', 'ServiceRegistered'],
      ['a1', 'ServiceEdited'],
      ['a1', 'ServiceEdited'],
    ]);
    expect(first.next).toBe(first.items.at(-1)?.position);
    expect(second.items.map((entry) => [entry.serviceId, entry.event])).toEqual([
      ['a2', 'ServiceRegistered'],
      ['a2', 'ServiceEdited'],
    ]);
    expect(second.next).toBeNull();
  });

  it('reads only the company’s events from the store, however many other companies wrote before it', async () => {
    const inner = createInMemoryEventStore();
    for (let service = 0; service < 20; service += 1)
      await serviceWithEdits(inner, 'globex', `g${service}`, 9);
    await serviceWithEdits(inner, 'acme', 'a1', 4);
    const { store, seen } = observedStore(inner);

    const page = (await new AuditFeed(store).companyPage('acme', 50))._unsafeUnwrap();

    expect(page.items).toHaveLength(5);
    expect(seen.eventsRead).toBe(5);
  });

  it('answers a cursor the store never issued with INVALID_CURSOR, without pinging the store', async () => {
    const inner = createInMemoryEventStore();
    await serviceWithEdits(inner, 'acme', 'a1', 1);
    const { store, seen } = observedStore(inner);
    const feed = new AuditFeed(store);

    for (const cursor of ['not-a-position', '999999']) {
      const refused = (await feed.companyPage('acme', 10, cursor))._unsafeUnwrapErr();
      expect(refused.code).toBe('INVALID_CURSOR');
      expect(refused.message).toContain('Start again without "after"');
    }
    expect(seen.pings).toBe(0);
  });

  it('answers an unreachable store with STORE_UNAVAILABLE and an engine error with INTERNAL, also after a cursor, without pinging', async () => {
    const driverText = 'connect ECONNREFUSED 10.9.8.7:5432';
    const down = observedStore(createInMemoryEventStore(), () =>
      errAsync(storeUnavailable('Reading all streams failed', new Error(driverText))),
    );
    const broken = observedStore(createInMemoryEventStore(), () =>
      errAsync(engineFailed('Reading all streams failed', new Error('relation "events" does not exist'))),
    );

    const unavailable = (await new AuditFeed(down.store).companyPage('acme', 10, '5'))._unsafeUnwrapErr();
    const failed = (await new AuditFeed(broken.store).companyPage('acme', 10, '5'))._unsafeUnwrapErr();

    expect(unavailable.code).toBe('STORE_UNAVAILABLE');
    expect(unavailable.message).not.toContain('ECONNREFUSED');
    expect(failed.code).toBe('INTERNAL');
    expect(failed.message).not.toContain('relation');
    expect(down.seen.pings + broken.seen.pings).toBe(0);
  });
});
