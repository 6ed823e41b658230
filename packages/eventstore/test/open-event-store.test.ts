import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../src/open-event-store.js';

describe('choosing the event store from the configuration', () => {
  const folders: string[] = [];
  afterAll(async () => {
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  });

  it('uses EventStoreDB/KurrentDB when EVENTSTORE_URL is set, whatever else is', async () => {
    const store = await openEventStore({
      eventstoreUrl: 'kurrentdb://127.0.0.1:1?tls=false',
      databaseUrl: 'postgres://root@127.0.0.1:1/none',
      dataDir: './never-created',
    });
    expect(store.engine).toBe('esdb');
    await store.close();
  });

  it('runs the embedded engine in the data folder (created if missing) when no server is configured', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'calsync-open-'));
    folders.push(folder);
    const dataDir = join(folder, 'var', 'calsync');
    const store = await openEventStore({ dataDir });
    try {
      expect(store.engine).toBe('pglite');
      expect(await store.ping()).toBe(true);
      expect((await readdir(dataDir)).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('rejects a configuration without a data folder', async () => {
    await expect(openEventStore({ dataDir: '' })).rejects.toThrow();
  });
});
