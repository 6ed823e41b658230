import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createInMemoryEventStore,
  createPostgresEventStore,
  createStreamLeaseStore,
  type EventStore,
} from '../src/index.js';
import { dropSchemas } from './conformance-fixture.js';

/**
 * Leases (docs/operations.md, "Several instances"): at most one process holds a name; a process that
 * dies, freezes or gives a lease up frees it for the others.
 */

const connectionString = process.env.TEST_DATABASE_URL;
const schemas: string[] = [];

const until = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
};

describe('leases of a store only this process uses', () => {
  it('grants every lease and counts one member', async () => {
    const store = createInMemoryEventStore();
    expect(store.leases.shared).toBe(false);
    expect((await store.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(true);
    expect([...store.leases.held()]).toEqual(['team-1']);
    expect((await store.leases.members())._unsafeUnwrap()).toBe(1);
    await store.leases.release('team-1');
    expect((await store.leases.isHeldAnywhere('team-1'))._unsafeUnwrap()).toBe(false);
  });
});

describe('leases on streams with expected revisions (the KurrentDB way, here on the memory engine)', () => {
  const twoProcesses = () => {
    let now = 1_000_000;
    const store = createInMemoryEventStore();
    const options = { sessionTimeoutMs: 5_000, now: () => now };
    return {
      a: createStreamLeaseStore(store, options),
      b: createStreamLeaseStore(store, options),
      advance: (ms: number) => {
        now += ms;
      },
    };
  };

  it('lets only one of two processes hold a lease, and the other take it once it is given up', async () => {
    const { a, b } = twoProcesses();
    expect((await a.tryAcquire('team-7'))._unsafeUnwrap()).toBe(true);
    expect((await b.tryAcquire('team-7'))._unsafeUnwrap()).toBe(false);
    expect((await b.isHeldAnywhere('team-7'))._unsafeUnwrap()).toBe(true);
    await a.release('team-7');
    expect((await b.tryAcquire('team-7'))._unsafeUnwrap()).toBe(true);
    expect([...b.held()]).toEqual(['team-7']);
    expect([...a.held()]).toEqual([]);
  });

  it('frees the lease of a process that stopped renewing, and tells it that it lost the lease', async () => {
    const { a, b, advance } = twoProcesses();
    await a.tryAcquire('team-7');
    let lost = 0;
    a.onLost(() => lost++);
    advance(4_000);
    expect((await a.confirm()).isOk()).toBe(true);
    advance(4_000);
    // Renewed 4 s ago: still held.
    expect((await b.tryAcquire('team-7'))._unsafeUnwrap()).toBe(false);
    advance(6_000);
    expect((await b.tryAcquire('team-7'))._unsafeUnwrap()).toBe(true);
    await a.confirm();
    expect(lost).toBe(1);
    expect([...a.held()]).toEqual([]);
  });

  it('counts the members that renewed within the session timeout', async () => {
    const { a, b, advance } = twoProcesses();
    await a.confirm();
    await b.confirm();
    expect((await a.members())._unsafeUnwrap()).toBe(2);
    advance(6_000);
    await a.confirm();
    expect((await a.members())._unsafeUnwrap()).toBe(1);
  });

  it('lets exactly one of many simultaneous takers win', async () => {
    const store = createInMemoryEventStore();
    const takers = Array.from({ length: 8 }, () =>
      createStreamLeaseStore(store, { sessionTimeoutMs: 5_000 }),
    );
    const results = await Promise.all(takers.map((taker) => taker.tryAcquire('team-9')));
    expect(results.map((result) => result._unsafeUnwrap()).filter(Boolean)).toHaveLength(1);
  });
});

describe.skipIf(!connectionString)('leases on PostgreSQL (session advisory locks)', () => {
  const stores = new Set<EventStore>();
  const open = async (schema: string, leaseTimeoutMs = 9_000) => {
    const store = await createPostgresEventStore({
      connectionString: connectionString!,
      schema,
      poolSize: 2,
      leaseTimeoutMs,
    });
    stores.add(store);
    return store;
  };
  const newSchema = () => {
    const schema = `calsync_lease_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    schemas.push(schema);
    return schema;
  };

  afterAll(async () => {
    await Promise.all([...stores].map((store) => store.close()));
    await dropSchemas(connectionString!, schemas);
  });

  it('lets one process hold a lease, frees it the moment that process closes its store', async () => {
    const schema = newSchema();
    const a = await open(schema);
    const b = await open(schema);
    expect(a.leases.shared).toBe(true);
    expect((await a.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(true);
    expect((await b.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(false);
    expect((await b.leases.isHeldAnywhere('team-1'))._unsafeUnwrap()).toBe(true);
    expect((await b.leases.members())._unsafeUnwrap()).toBe(2);
    stores.delete(a);
    await a.close();
    expect((await b.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(true);
    expect((await b.leases.members())._unsafeUnwrap()).toBe(1);
  });

  it('keeps leases of other schemas apart', async () => {
    const a = await open(newSchema());
    const b = await open(newSchema());
    expect((await a.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(true);
    expect((await b.leases.tryAcquire('team-1'))._unsafeUnwrap()).toBe(true);
  });

  it('frees the leases of a process that stopped confirming once the lease timeout passed', async () => {
    const schema = newSchema();
    const frozen = await open(schema, 400);
    const other = await open(schema);
    expect((await frozen.leases.tryAcquire('team-2'))._unsafeUnwrap()).toBe(true);
    let lost = 0;
    frozen.leases.onLost(() => lost++);
    const taken = await until(async () => (await other.leases.tryAcquire('team-2')).unwrapOr(false), 5_000);
    expect(taken).toBe(true);
    expect(await until(async () => lost === 1, 2_000)).toBe(true);
    expect([...frozen.leases.held()]).toEqual([]);
  });

  it('keeps the leases of a process that confirms in time', async () => {
    const schema = newSchema();
    const alive = await open(schema, 400);
    const other = await open(schema);
    await alive.leases.tryAcquire('team-3');
    for (let round = 0; round < 8; round++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await alive.leases.confirm()).isOk()).toBe(true);
      expect((await other.leases.tryAcquire('team-3'))._unsafeUnwrap()).toBe(false);
    }
  });

  it('tells the holder when the server ended its session, and lets it take leases again later', async () => {
    const schema = newSchema();
    const store = await open(schema);
    let lost = 0;
    store.leases.onLost(() => lost++);
    await store.leases.tryAcquire('team-4');
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
        [`calsync-leases:${schema}`],
      );
    } finally {
      await admin.end();
    }
    expect(await until(async () => lost === 1, 3_000)).toBe(true);
    expect([...store.leases.held()]).toEqual([]);
    expect((await store.leases.tryAcquire('team-4'))._unsafeUnwrap()).toBe(true);
  });
});
