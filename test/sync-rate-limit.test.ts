import type { CalcomClient } from '@calsync/calcom';
import { createRateLimiter } from '@calsync/calcom';
import { createLogger } from '@calsync/server';
import { afterEach, describe, expect, it } from 'vitest';
import { LogCapture } from './support/log-capture.js';
import { SyncHarness, serviceFields } from './support/sync-harness.js';

/** Polls `check` until it holds, at most `withinMs`: every wait of a test is bounded. */
async function eventually(check: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const services = ['haircut', 'colour', 'shave'];

function throttled(reset: string) {
  return {
    method: 'PATCH',
    kind: 'status' as const,
    status: 429,
    headers: {
      'X-RateLimit-Limit-Default': '120',
      'X-RateLimit-Remaining-Default': '0',
      'X-RateLimit-Reset-Default': reset,
    },
    times: 1,
  };
}

/**
 * One 429 of Cal.com holds every push of the key (docs/sync.md): the wait is capped by
 * sync.maxRateLimitResetMs, recorded on the service that hit it, and shown on every service waiting behind it.
 */
describe('a rate-limited API key: the wait is capped, recorded, and shown on every waiting service', () => {
  let harness: SyncHarness | undefined;
  afterEach(async () => {
    await harness?.stop({ all: true, drainMs: 0 });
    harness = undefined;
  });

  async function startWithCap(maxResetMs: number, logs?: LogCapture) {
    harness = await SyncHarness.start({
      limiter: createRateLimiter({ limit: 100_000, windowMs: 60_000, maxResetMs }),
      policy: { concurrencyPerTeam: 1 },
      ...(logs ? { logger: createLogger('warn', logs) } : {}),
    });
    for (const id of services) await harness.registerLinked(id, serviceFields(`Service ${id}`));
    await harness.manager.settled();
    for (const id of services) expect(harness.view(id).sync.status).toBe('synced');
    return harness;
  }

  it('a reset of an hour is capped: the other services of the team resume within the cap', async () => {
    const logs = new LogCapture();
    const h = await startWithCap(2_000, logs);
    h.simulator.control.injectFault(throttled('3600'));
    const started = Date.now();
    for (const id of services) await h.edit(id, { durationMinutes: 45 });

    // The first push meets the 429; the key is held and every other service waits behind it.
    await eventually(() => services.some((id) => h.view(id).sync.lastError?.kind === 'rate_limited'), 5_000);
    const failed = services.find((id) => h.view(id).sync.lastError?.kind === 'rate_limited')!;
    expect(await h.eventTypesOf(failed)).toContain('SyncFailed');
    const failure = h.view(failed).sync;
    expect(failure.lastError?.message).toContain('advertised a reset of 3600 s; capped at 2 s');
    expect(Date.parse(failure.nextRetryAt!) - Date.parse(failure.lastAttemptAt!)).toBeLessThanOrEqual(2_000);

    for (const id of services.filter((other) => other !== failed)) {
      const view = h.view(id);
      expect(view.sync.status).toBe('pending');
      expect(view.sync.nextRetryAt).not.toBeNull();
      expect(Date.parse(view.sync.nextRetryAt!) - started).toBeLessThanOrEqual(2_500);
      expect(view.sync.waiting).toMatchObject({
        reason: 'rate_limited',
        advertisedResetMs: 3_600_000,
        appliedResetMs: 2_000,
        capped: true,
      });
      expect(view.sync.message).toContain('rate-limited');
      expect(view.notBookableReasons.map((reason) => reason.code)).toContain('CALCOM_RATE_LIMITED');
    }

    await eventually(() => services.every((id) => h.view(id).sync.status === 'synced'), 6_000);
    expect(Date.now() - started).toBeLessThan(6_000);
    for (const id of services) expect(h.view(id).sync.waiting).toBeNull();

    const warning = logs.entries.find((entry) => entry.configKey === 'sync.maxRateLimitResetMs');
    expect(warning).toMatchObject({ level: 40, advertisedResetMs: 3_600_000, appliedResetMs: 2_000 });
  }, 20_000);

  it('a garbage reset falls back to the rate-limit window, and the failure says so', async () => {
    const h = await startWithCap(900_000);
    h.simulator.control.injectFault(throttled('soon-ish'));
    await h.edit('haircut', { durationMinutes: 50 });
    await eventually(() => h.view('haircut').sync.lastError?.kind === 'rate_limited', 5_000);

    const view = h.view('haircut').sync;
    expect(view.lastError?.message).toContain('the 60 s window was assumed');
    expect(Date.parse(view.nextRetryAt!) - Date.parse(view.lastAttemptAt!)).toBe(60_000);
    await h.edit('colour', { durationMinutes: 50 });
    await eventually(() => h.view('colour').sync.waiting !== null, 2_000);
    expect(h.view('colour').sync.waiting).toMatchObject({
      reason: 'rate_limited',
      advertisedResetMs: null,
      appliedResetMs: 60_000,
      capped: false,
    });
  }, 20_000);
});

/** An exception anywhere in an attempt still ends it with a recorded SyncFailed (docs/sync.md). */
describe('a push that throws is recorded as a failure, never left as plain pending', () => {
  let harness: SyncHarness | undefined;
  afterEach(async () => {
    await harness?.stop({ all: true, drainMs: 0 });
    harness = undefined;
  });

  async function expectRecordedFailure(h: SyncHarness, id: string) {
    await h.manager.idle();
    expect(await h.eventTypesOf(id)).toContain('SyncFailed');
    const view = h.view(id);
    expect(view.sync.lastError).toMatchObject({ kind: 'transient', httpStatus: null });
    expect(view.sync.lastError?.message).toContain('calsync failed internally while pushing');
    expect(view.sync.lastError?.message).not.toContain('boom');
    expect(view.sync.nextRetryAt).not.toBeNull();
    expect(view.sync.message).toContain('Retrying after a transient failure');
  }

  it('when the Cal.com client throws instead of answering', async () => {
    harness = await SyncHarness.start({
      client: (real): CalcomClient => ({
        ...real,
        updateTeamEventType: () => {
          throw new Error('boom: the client double throws');
        },
      }),
    });
    await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await expectRecordedFailure(harness, 'haircut');
  });

  it('when the limiter throws', async () => {
    const limiter = createRateLimiter({ limit: 100_000 });
    harness = await SyncHarness.start({
      limiter: {
        ...limiter,
        acquire: () => {
          throw new Error('boom: the limiter throws');
        },
        run: () => {
          throw new Error('boom: the limiter throws');
        },
      },
    });
    await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await expectRecordedFailure(harness, 'haircut');
  });

  it('when the clock throws once the answer is in', async () => {
    let breakNext = false;
    harness = await SyncHarness.start({
      clock: () => {
        if (!breakNext) return new Date();
        breakNext = false;
        throw new Error('boom: the clock throws');
      },
      client: (real): CalcomClient => ({
        ...real,
        updateTeamEventType: (...args) =>
          real.updateTeamEventType(...args).map((answer) => {
            breakNext = true;
            return answer;
          }),
      }),
    });
    await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await expectRecordedFailure(harness, 'haircut');
  });

  it('when computing the retry time throws', async () => {
    harness = await SyncHarness.start({
      random: () => {
        throw new Error('boom: no randomness today');
      },
    });
    harness.simulator.control.injectFault({ method: 'PATCH', kind: 'status', status: 503, times: 1 });
    await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await expectRecordedFailure(harness, 'haircut');
  });
});
