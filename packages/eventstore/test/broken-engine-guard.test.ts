import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { expected } from '../src/port.js';
import { EmbeddedEngineBroken, guardEmbeddedEngine } from '../src/postgres/broken-engine-guard.js';
import type { SqlClient } from '../src/postgres/sql-client.js';
import { openSqlEventStore } from '../src/postgres/sql-event-store.js';

const clientOf = (db: PGlite): SqlClient => ({
  query: async (text, params) => (await db.query(text, params ? [...params] : undefined)).rows,
  exec: async (script) => {
    await db.exec(script);
  },
  listen: (channel, onNotify) => db.listen(channel, () => onNotify()),
  close: () => db.close(),
});

describe('the embedded engine after an internal error', () => {
  it('stays in service after an SQL error, which is only a refused statement', async () => {
    const db = await PGlite.create();
    const broken: unknown[] = [];
    const client = guardEmbeddedEngine(clientOf(db), (cause) => broken.push(cause));
    try {
      await expect(client.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
      await expect(client.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
      expect(broken).toEqual([]);
      expect(client.broken).toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('is marked broken once it cannot answer SELECT 1, reports it once, and then fails every call at once', async () => {
    const db = await PGlite.create();
    const broken: unknown[] = [];
    const client = guardEmbeddedEngine(clientOf(db), (cause) => broken.push(cause));
    await client.query('SELECT 1');
    // The engine dies underneath the store (as after a WASM trap): nothing answers any more.
    await db.close();
    const failures = await Promise.allSettled([client.query('SELECT 1'), client.query('SELECT 2')]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(EmbeddedEngineBroken);
    }
    await expect(client.exec('SELECT 1')).rejects.toBeInstanceOf(EmbeddedEngineBroken);
    expect(broken).toHaveLength(1);
    expect(client.broken).toBeInstanceOf(EmbeddedEngineBroken);
  });

  it('makes the store refuse appends, reads and checkpoints as unavailable and fail its readiness ping once the engine is broken', async () => {
    const db = await PGlite.create();
    const broken: unknown[] = [];
    const store = await openSqlEventStore({
      engine: 'pglite',
      client: guardEmbeddedEngine(clientOf(db), (cause) => broken.push(cause)),
      schema: 'calsync',
    });
    const event = () => ({ id: randomUUID(), type: 'Edited', data: {} });
    expect((await store.appendToStream('service-1', [event()], expected.any)).isOk()).toBe(true);
    await db.close();
    const refused = await store.appendToStream('service-1', [event()], expected.any);
    expect(refused._unsafeUnwrapErr()).toMatchObject({ code: 'EVENTSTORE.UNAVAILABLE' });
    expect(refused._unsafeUnwrapErr().message).not.toContain('PGlite is closed');
    for (const read of [
      store.readStream('service-1'),
      store.readAll(),
      store.headPosition(),
      store.checkpoints.load('status-view'),
      store.checkpoints.store('status-view', '1'),
    ]) {
      const failed = (await read)._unsafeUnwrapErr();
      expect(failed.code).toBe('EVENTSTORE.UNAVAILABLE');
      expect(failed.message).not.toContain('PGlite is closed');
    }
    expect(await store.ping()).toBe(false);
    expect(broken).toHaveLength(1);
  });
});
