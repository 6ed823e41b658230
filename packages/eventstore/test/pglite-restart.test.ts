import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteEventStore, expected } from '../src/index.js';
import { newEvents, recordingSubscriber } from './conformance-fixture.js';

describe('the embedded event store in a data folder', () => {
  const folders: string[] = [];
  afterAll(async () => {
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  });

  it('keeps events and checkpoints across a restart, and its subscriber resumes where it stopped', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'calsync-pglite-'));
    folders.push(dataDir);

    const before = await createPgliteEventStore({ dataDir });
    await before.appendToStream('service-1', newEvents(3, 'BeforeRestart'), expected.noStream);
    const first = recordingSubscriber(before, { checkpointName: 'status-view' });
    await first.subscription.caughtUp();
    await first.subscription.stop();
    await before.close();

    const after = await createPgliteEventStore({ dataDir });
    try {
      await after.appendToStream('service-1', newEvents(2, 'AfterRestart'), expected.exact(2n));
      const second = recordingSubscriber(after, { checkpointName: 'status-view' });
      await second.subscription.caughtUp();
      await second.subscription.stop();
      expect(first.received.map((event) => event.type)).toEqual(Array(3).fill('BeforeRestart'));
      expect(second.received.map((event) => event.type)).toEqual(['AfterRestart', 'AfterRestart']);
      expect((await after.readStream('service-1'))._unsafeUnwrap().map((event) => event.revision)).toEqual([
        0n,
        1n,
        2n,
        3n,
        4n,
      ]);
    } finally {
      await after.close();
    }
  });
});
