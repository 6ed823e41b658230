import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore, expected, openEventStore, type RecordedEvent } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';
import { deferred, dropSchemas, INDEXED_DATA_FIELD, newEvent } from './conformance-fixture.js';
import { describeAppendIsolation } from './sql-append-isolation.js';

const connectionString = process.env.TEST_DATABASE_URL;
const schemas: string[] = [];

/** Every store gets a schema of its own, dropped when the file is done. */
const openStore = () => {
  const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  schemas.push(schema);
  return createPostgresEventStore({
    connectionString: connectionString!,
    schema,
    poolSize: 4,
    indexedDataFields: [INDEXED_DATA_FIELD],
  });
};

afterAll(async () => {
  if (connectionString) await dropSchemas(connectionString, schemas);
});

describeEventStoreConformance('postgres server', openStore, {
  skipReason: connectionString ? undefined : 'TEST_DATABASE_URL is not set',
});

describeAppendIsolation(
  'postgres server',
  openStore,
  connectionString ? undefined : 'TEST_DATABASE_URL is not set',
);

describe.skipIf(!connectionString)(
  `postgres server notifications${connectionString ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    it('wakes a subscriber in another process by NOTIFY, not by its slow fallback poll', async () => {
      const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      const open = () =>
        createPostgresEventStore({
          connectionString: connectionString!,
          schema,
          poolSize: 2,
          pollIntervalMs: 3_600_000,
        });
      const writer = await open();
      const reader = await open();
      try {
        const arrivals = [deferred<RecordedEvent>(), deferred<RecordedEvent>()];
        let handled = 0;
        const subscription = reader.subscribe({
          handler: async (event) => arrivals[handled++]?.resolve(event),
        });
        await subscription.caughtUp();
        // With an hour between polls, only a notification can deliver these in time. The
        // second append happens once LISTEN is surely active (the first one arrived).
        for (const [index, arrival] of arrivals.entries()) {
          const appended = newEvent('ServiceEdited');
          await writer.appendToStream('service-1', [appended], expected.exact(BigInt(index) - 1n));
          expect((await arrival.promise).id).toBe(appended.id);
        }
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });
  },
);

describe.skipIf(!connectionString)(
  `postgres server commit order${connectionString ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    it('never lets a later append become visible before an earlier one that commits late', async () => {
      const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      const store = await createPostgresEventStore({
        connectionString: connectionString!,
        schema,
        poolSize: 2,
      });
      const slowWriter = new pg.Client({ connectionString });
      await slowWriter.connect();
      try {
        const received: RecordedEvent[] = [];
        const subscription = store.subscribe({ handler: async (event) => void received.push(event) });
        await subscription.caughtUp();

        // A writer whose transaction has appended but not committed yet…
        const slow = newEvent('Slow');
        await slowWriter.query('BEGIN');
        await slowWriter.query(`SELECT * FROM ${schema}.append_events($1::jsonb)`, [
          JSON.stringify([
            { stream: 'service-slow', expectedKind: 'any', events: [{ ...slow, metadata: {} }] },
          ]),
        ]);
        // …and a second writer that comes later and must queue behind it.
        const fast = newEvent('Fast');
        const fastAppend = store.appendToStream('service-fast', [fast], expected.any);
        await waitUntilAnAppendQueues(slowWriter, schema);
        expect((await store.readAll())._unsafeUnwrap()).toEqual([]);

        await slowWriter.query('COMMIT');
        (await fastAppend)._unsafeUnwrap();
        await subscription.caughtUp();
        await subscription.stop();
        expect(received.map((event) => event.id)).toEqual([slow.id, fast.id]);
        expect((await store.readAll())._unsafeUnwrap().map((event) => event.id)).toEqual([slow.id, fast.id]);
      } finally {
        await slowWriter.end();
        await store.close();
      }
    });
  },
);

/**
 * Waits, by asking the server, until an append into `schema` waits for the append lock.
 * `client` is inside an open transaction, where pg_stat_activity is a snapshot fixed at its first
 * read: clear it on every poll, or a poll made before the append queued would be seen forever.
 */
const waitUntilAnAppendQueues = async (client: pg.Client, schema: string): Promise<void> => {
  for (;;) {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ waiting: string }>(
      `SELECT count(*)::text AS waiting FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND position($1 in query) > 0`,
      [`${schema}.append_events`],
    );
    if (rows[0]?.waiting !== '0') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe.skipIf(!connectionString)(
  `postgres server chosen by configuration${connectionString ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    it('opens the PostgreSQL engine in the configured schema when DATABASE_URL is set', async () => {
      const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      const store = await openEventStore({
        databaseUrl: connectionString,
        databaseSchema: schema,
        dataDir: './unused',
      });
      try {
        expect(store.engine).toBe('postgres');
        await store.appendToStream('service-1', [newEvent('ServiceCreated')], expected.noStream);
        const client = new pg.Client({ connectionString });
        await client.connect();
        const { rows } = await client.query(`SELECT count(*)::int AS events FROM ${schema}.events`);
        await client.end();
        expect(rows[0]).toEqual({ events: 1 });
      } finally {
        await store.close();
      }
    });
  },
);

describe.skipIf(!connectionString)(
  `postgres server writers in two processes${connectionString ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    it('lets exactly one of two processes racing at the same revision win', async () => {
      const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      const open = () =>
        createPostgresEventStore({ connectionString: connectionString!, schema, poolSize: 2 });
      const [left, right] = [await open(), await open()];
      try {
        for (let revision = -1n; revision < 19n; revision += 1n) {
          const results = await Promise.all(
            [left, right].map((store) =>
              store.appendToStream('service-1', [newEvent('Edited')], expected.exact(revision)),
            ),
          );
          expect(results.filter((result) => result.isOk())).toHaveLength(1);
          expect(results.find((result) => result.isErr())?._unsafeUnwrapErr()).toMatchObject({
            code: 'EVENTSTORE.WRONG_EXPECTED_REVISION',
            actual: revision + 1n,
          });
        }
        expect((await left.readStream('service-1'))._unsafeUnwrap()).toHaveLength(20);
      } finally {
        await Promise.all([left.close(), right.close()]);
      }
    });
  },
);
