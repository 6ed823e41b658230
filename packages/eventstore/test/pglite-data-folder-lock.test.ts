import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPgliteEventStore, DataFolderInUse, type EventStore, expected } from '../src/index.js';
import { newEvent } from './conformance-fixture.js';

describe('the embedded engine’s data folder', () => {
  const folders: string[] = [];
  const stores: EventStore[] = [];
  const folder = async () => {
    const path = await mkdtemp(join(tmpdir(), 'calsync-lock-'));
    folders.push(path);
    return path;
  };
  const open = async (dataDir: string) => {
    const store = await createPgliteEventStore({ dataDir });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    for (const path of folders.splice(0)) await rm(path, { recursive: true, force: true });
  });

  it('refuses a second store while the first has it open, naming the owner, so nothing is corrupted', async () => {
    const dataDir = await folder();
    await open(dataDir);
    const second = createPgliteEventStore({ dataDir });
    await expect(second).rejects.toBeInstanceOf(DataFolderInUse);
    await expect(second).rejects.toThrow(`in use by process ${process.pid}`);
  });

  it('opens again once the first store is closed, with its events', async () => {
    const dataDir = await folder();
    const first = await open(dataDir);
    await first.appendToStream('service-1', [newEvent('ServiceRegistered')], expected.noStream);
    await first.close();
    const reopened = await open(dataDir);
    expect((await reopened.readStream('service-1'))._unsafeUnwrap()).toHaveLength(1);
  });

  it('takes over the lock a killed process left behind', async () => {
    const dataDir = await folder();
    const first = await open(dataDir);
    await first.appendToStream('service-1', [newEvent('ServiceRegistered')], expected.noStream);
    await first.close();
    // What a SIGKILLed owner leaves: no process has pid 2^22 + 1 on Linux (pid_max is at most 2^22).
    await writeFile(join(dataDir, 'calsync.lock'), String(4_194_305));
    const store = await open(dataDir);
    expect((await store.readStream('service-1'))._unsafeUnwrap()).toHaveLength(1);
  });
});
