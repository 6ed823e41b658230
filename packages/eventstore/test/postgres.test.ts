import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore, expected, type RecordedEvent } from '../src/index.js';
import { describeEventStoreConformance } from './conformance.js';
import { deferred, newEvent } from './conformance-fixture.js';

const connectionString = process.env.TEST_DATABASE_URL;
const schemas: string[] = [];

/** Every store gets a schema of its own, dropped when the file is done. */
const openStore = () => {
  const schema = `calsync_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  schemas.push(schema);
  return createPostgresEventStore({ connectionString: connectionString!, schema, poolSize: 4 });
};

afterAll(async () => {
  if (!connectionString || schemas.length === 0) return;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
});

describeEventStoreConformance('postgres server', openStore, {
  skipReason: connectionString ? undefined : 'TEST_DATABASE_URL is not set',
});

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
