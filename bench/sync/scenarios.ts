import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryEventStore, createPgliteEventStore } from '@calsync/eventstore';
import { SyncRig, TEAM_ID } from './sync-rig.js';

const unlimited = { limit: 1_000_000, windowMs: 60_000, blockMs: 60_000 };

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function patchesOf(rig: SyncRig, eventTypeId?: number) {
  return rig.simulator.control
    .requests()
    .filter(
      (request) =>
        request.method === 'PATCH' &&
        (eventTypeId === undefined || request.path.endsWith(`/event-types/${eventTypeId}`)),
    );
}

export interface LatencyResult {
  engine: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * (a) Edit → PATCH received: the time from an admin's edit command to Cal.com receiving the PATCH
 * that carries it, one edit at a time, each on a service with no push in the last interval.
 */
export async function editToPatchLatency(samples: number): Promise<LatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'calsync-bench-sync-'));
  const rig = await SyncRig.start({
    store: await createPgliteEventStore({ dataDir: join(dir, 'data') }),
    rateLimit: unlimited,
  });
  try {
    const services = await rig.registerLinked(samples, 'latency');
    await rig.manager.idle();
    const latencies: number[] = [];
    for (const [i, service] of services.entries()) {
      const before = patchesOf(rig, service.eventTypeId).length;
      const started = Date.now();
      await rig.edit(service.serviceId, { durationMinutes: 31 + (i % 100) });
      await rig.manager.idle();
      const patch = patchesOf(rig, service.eventTypeId)[before];
      if (!patch) throw new Error(`no PATCH for ${service.serviceId}`);
      latencies.push(patch.at - started);
    }
    latencies.sort((a, b) => a - b);
    return {
      engine: rig.store.engine,
      samples,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? Number.NaN,
    };
  } finally {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BurstResult {
  edits: number;
  /** How long issuing the edits took (the target is one second). */
  editingMs: number;
  patches: number;
  /** From the first edit until Cal.com held the last edit's values. */
  matchedAfterMs: number;
}

/** (b) 1,000 edits within one second to one service: how many PATCHes, and when Cal.com matches. */
export async function burstToOneService(edits: number): Promise<BurstResult> {
  const rig = await SyncRig.start({ store: createInMemoryEventStore(), rateLimit: unlimited });
  try {
    const [service] = await rig.registerLinked(1, 'burst');
    if (!service) throw new Error('no service');
    await rig.manager.idle();
    // Let the link's push age past the coalescing interval, so the burst starts on a quiet service.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = patchesOf(rig, service.eventTypeId).length;
    const started = Date.now();
    for (let i = 1; i <= edits; i++) {
      // Spread evenly over one second; when the command path is slower, as fast as it goes. Each
      // edit yields to the event loop, as one arriving over HTTP would.
      const due = started + (i * 1000) / edits;
      if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      else await new Promise((resolve) => setImmediate(resolve));
      await rig.edit(service.serviceId, { durationMinutes: 1 + (i % 1440), description: `edit ${i}` });
    }
    const editingMs = Date.now() - started;
    await rig.manager.idle();
    const patches = patchesOf(rig, service.eventTypeId).slice(before);
    const held = rig.simulator.control.getEventType(TEAM_ID, service.eventTypeId);
    if (held?.description !== `edit ${edits}`) throw new Error('Cal.com does not hold the last edit');
    return {
      edits,
      editingMs,
      patches: patches.length,
      matchedAfterMs: (patches.at(-1)?.at ?? Number.NaN) - started,
    };
  } finally {
    await rig.close();
  }
}

export interface DrainResult {
  services: number;
  limit: number;
  windowMs: number;
  rateLimited: number;
  drainMs: number;
  theoreticalMs: number;
  ratio: number;
}

/**
 * (c) Every service edited at once under Cal.com's 120 requests per 60 s, with time scaled down
 * (the window is `windowMs`): 429s received, and the drain time against services ÷ rate.
 */
export async function bulkEditUnderRateLimit(services: number, windowMs: number): Promise<DrainResult> {
  const limit = 120;
  const rig = await SyncRig.start({
    store: createInMemoryEventStore(),
    rateLimit: { limit, windowMs, blockMs: windowMs },
  });
  try {
    const registered = await rig.registerLinked(services, 'bulk');
    await rig.manager.idle();
    rig.resetRateLimits();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the coalescing interval
    const before = rig.simulator.control.requests().length;
    const started = Date.now();
    await Promise.all(registered.map((service) => rig.edit(service.serviceId, { durationMinutes: 45 })));
    await rig.manager.idle();
    const drainMs = Date.now() - started;
    const requests = rig.simulator.control.requests().slice(before);
    const unsynced = registered.filter(
      (service) => rig.readModel.get(service.serviceId)?.status !== 'synced',
    );
    if (unsynced.length > 0) throw new Error(`${unsynced.length} services are not synced`);
    const theoreticalMs = (services / limit) * windowMs;
    return {
      services,
      limit,
      windowMs,
      rateLimited: requests.filter((request) => request.status === 429).length,
      drainMs,
      theoreticalMs,
      ratio: drainMs / theoreticalMs,
    };
  } finally {
    await rig.close();
  }
}
