import { randomUUID } from 'node:crypto';
import { type EventStore, expected, type NewEvent, openEventStore } from '@calsync/eventstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivatePostgresCluster, privateClusterSkipReason } from './support/private-postgres-cluster.js';

/**
 * The PostgreSQL engine on a private cluster frozen with SIGSTOP (the server accepts TCP but
 * answers nothing): every wait is bounded by the store's timeouts (docs/limits.md).
 * test/frozen-postgres-server.test.ts shows the same outage through the running server.
 */
const cluster = new PrivatePostgresCluster({ name: 'calsyncfreeze', port: 55433 });
const skipReason = privateClusterSkipReason;

const newEvent = (type: string): NewEvent => ({ id: randomUUID(), type, data: {} });

const timeouts = {
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 1_000,
  queryTimeoutMs: 1_500,
  idleInTransactionTimeoutMs: 1_000,
  poolSize: 2,
};

describe.skipIf(skipReason !== undefined)(
  `the PostgreSQL event store on a frozen server${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let store: EventStore | undefined;

    beforeAll(async () => {
      cluster.create();
      // Opened the way the server opens it: its `store` config, timeouts included.
      store = await openEventStore({
        databaseUrl: cluster.connectionString,
        databaseSchema: 'calsync_frozen',
        dataDir: '/nonexistent/unused-with-a-database-url',
        timeouts,
      });
    });

    afterAll(async () => {
      if (cluster.isFrozen) cluster.thaw();
      await store?.close().catch(() => undefined);
      cluster.drop();
    });

    it('answers while the server is alive, then fails an append as unavailable within its timeouts once the server freezes', async () => {
      if (!store) throw new Error('the store did not open');
      const before = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceCreated')],
        expected.noStream,
      );
      expect(before.isOk()).toBe(true);
      expect(await store.ping()).toBe(true);

      cluster.freeze();

      const started = Date.now();
      const append = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceRenamed')],
        expected.exact(0n),
      );
      const elapsed = Date.now() - started;
      expect(append.isErr()).toBe(true);
      expect(append.isErr() && append.error.code).toBe('EVENTSTORE.UNAVAILABLE');
      // The query timeout (1.5 s) or the connect timeout (1 s), plus scheduling slack.
      expect(elapsed).toBeLessThan(timeouts.queryTimeoutMs + 2_000);
    });

    it('says the frozen server is not reachable within about a second when pinged', async () => {
      if (!store) throw new Error('the store did not open');
      const started = Date.now();
      expect(await store.ping()).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_800);
    });

    it('answers again once the server thaws, and a retried append is never written twice', async () => {
      if (!store) throw new Error('the store did not open');
      cluster.thaw();
      await expect.poll(() => store?.ping(), { timeout: 10_000, interval: 200 }).toBe(true);
      // The append that timed out may still have run once the server woke (the query sat in
      // its socket): unavailable means "outcome unknown", and the expected revision makes
      // the retry safe — it is written, or it conflicts because it already was.
      const retry = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceRenamed')],
        expected.exact(0n),
      );
      const stream = (await store.readStream('service-frozen'))._unsafeUnwrap();
      expect(stream.map((event) => event.type)).toEqual(['ServiceCreated', 'ServiceRenamed']);
      if (retry.isErr()) expect(retry.error.code).toBe('EVENTSTORE.WRONG_EXPECTED_REVISION');
    });
  },
);
