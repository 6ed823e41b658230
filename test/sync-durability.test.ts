import { toCalcomValues } from '@calsync/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncHarness, serviceFields } from './support/sync-harness.js';

/**
 * docs/sync.md: no request is lost and none is pushed twice once its outcome is recorded, across
 * bursts of edits, stops and restarts.
 */
describe('outbound sync: coalescing and durability', () => {
  const running: SyncHarness[] = [];
  const start = async (...args: Parameters<typeof SyncHarness.start>) => {
    const harness = await SyncHarness.start(...args);
    running.push(harness);
    return harness;
  };
  afterEach(async () => {
    const last = running.at(-1);
    for (const harness of running.splice(0)) await harness.stop({ drainMs: 0 });
    await last?.simulator.close();
  });

  it('a burst of edits to one service is pushed as two PATCHes: at once, then only the latest values', async () => {
    const harness = await start({ manualTime: true, policy: { minPushIntervalMs: 1000 } });
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Schnitt'));
    await harness.manager.idle();
    harness.time!.advance(5000);
    const before = harness.patchesOf(eventTypeId).length;

    for (let i = 1; i <= 100; i++) await harness.edit('haircut', { durationMinutes: 10 + i });
    expect(harness.view('haircut').sync.status).toBe('pending');
    // idle() waits out the push interval, which only passes when this test moves time on.
    harness.time!.advance(1000);
    await harness.manager.idle();

    const patches = harness.patchesOf(eventTypeId).slice(before);
    expect(patches.length).toBeGreaterThanOrEqual(1);
    expect(patches.length).toBeLessThanOrEqual(2);
    expect(patches.at(-1)?.body).toMatchObject({ lengthInMinutes: 110 });
    expect(harness.calcomValues(eventTypeId).lengthInMinutes).toBe(110);
    expect(harness.view('haircut').sync.status).toBe('synced');
  });

  it('a retry time is a recorded fact: a restarted process waits for it, then pushes', async () => {
    const first = await start({ manualTime: true });
    const eventTypeId = await first.registerLinked('haircut', serviceFields('Schnitt'));
    await first.manager.idle();
    first.simulator.control.injectFault({ method: 'PATCH', kind: 'status', status: 503 });
    await first.edit('haircut', { durationMinutes: 40 });
    await first.manager.idle();
    const retryAt = first.view('haircut').sync.nextRetryAt;
    expect(retryAt).not.toBeNull();
    await first.stop();
    first.simulator.control.clearFaults();
    const patches = first.patchesOf(eventTypeId).length;

    const second = await start({ manualTime: true, store: first.store, simulator: first.simulator });
    await second.manager.idle();
    expect(second.patchesOf(eventTypeId)).toHaveLength(patches);
    expect(second.view('haircut').sync.nextRetryAt).toBe(retryAt);

    second.time!.advance(Date.parse(retryAt!) - second.time!.clock().getTime());
    await second.manager.idle();
    expect(second.patchesOf(eventTypeId)).toHaveLength(patches + 1);
    expect(second.view('haircut').sync).toMatchObject({ status: 'synced', attempts: 2 });
  });

  it('a call abandoned at shutdown is pushed again after restart, and a recorded one never is', async () => {
    const first = await start();
    const eventTypeId = await first.registerLinked('haircut', serviceFields('Schnitt'));
    const synced = await first.registerLinked('colour', serviceFields('Farbe'));
    await first.manager.idle();
    const colourPatches = first.patchesOf(synced).length;

    // Cal.com never answers this PATCH: the process stops while the call is in flight.
    first.simulator.control.injectFault({ method: 'PATCH', kind: 'timeout', times: 1 });
    await first.edit('haircut', { name: 'Schnitt und Föhnen' });
    await vi.waitFor(() => expect(first.patchesOf(eventTypeId).at(-1)?.status).toBeNull());
    await first.stop({ drainMs: 0 });
    expect(first.view('haircut').sync.status).toBe('pending');
    expect((await first.eventTypesOf('haircut')).at(-1)).toBe('SyncRequested');

    const second = await start({ store: first.store, simulator: first.simulator });
    await second.manager.idle();
    expect(second.view('haircut').sync.status).toBe('synced');
    expect(second.calcomValues(eventTypeId)).toEqual(
      toCalcomValues(second.readModel.get('haircut')!.fields!),
    );
    expect(second.patchesOf(synced)).toHaveLength(colourPatches);
    expect((await second.eventTypesOf('haircut')).filter((type) => type === 'SyncSucceeded')).toHaveLength(2);
  });

  it('a graceful stop lets a call in flight finish and records its outcome', async () => {
    const harness = await start();
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Schnitt'));
    await harness.manager.idle();
    harness.simulator.control.injectFault({ method: 'PATCH', kind: 'latency', latencyMs: 200, times: 1 });
    await harness.edit('haircut', { durationMinutes: 50 });
    await vi.waitFor(() => expect(harness.patchesOf(eventTypeId)).toHaveLength(2));
    await harness.manager.stop({ drainMs: 10_000 });
    expect(harness.view('haircut').sync.status).toBe('synced');
    expect(harness.calcomValues(eventTypeId).lengthInMinutes).toBe(50);
  });
});
