import { createInMemoryEventStore, type EventStore } from '@calsync/eventstore';
import { afterEach, describe, expect, it } from 'vitest';
import type { Calsync } from '../src/calsync.js';
import { type ProbedSubscription, ReadinessProbe } from '../src/health/readiness-probe.js';
import { startCalsyncUnderTest, tokens } from './calsync-under-test.js';

const never = new Promise<never>(() => {});
const reachableStore = { engine: 'memory', ping: async () => true };
const settings = { graceMs: 10_000, probeTimeoutMs: 100 };

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A subscription whose catch-up the test resolves (or never resolves). */
function heldSubscription(name: string) {
  let release: (() => void) | undefined;
  let calls = 0;
  const subscription: ProbedSubscription & { calls: () => number; release: () => void; fail: boolean } = {
    name,
    fail: false,
    calls: () => calls,
    release: () => release?.(),
    caughtUp: () => {
      calls++;
      if (subscription.fail)
        return Promise.reject(new Error('relation "events" does not exist (SQL: SELECT …)'));
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  };
  return subscription;
}

describe('readiness', () => {
  it('stays ready while a subscription is behind for less than the grace period, and fails after it', async () => {
    const clock = manualClock();
    const projection = heldSubscription('status-projection');
    const probe = new ReadinessProbe(reachableStore, () => [projection], settings, clock.now);
    probe.markCaughtUp();

    clock.advance(9_000);
    const withinGrace = await probe.probe();
    clock.advance(2_000);
    const beyondGrace = await probe.probe();
    projection.release();
    const caughtUpAgain = await probe.probe();

    expect(withinGrace).toMatchObject({
      ready: true,
      subscriptions: [{ name: 'status-projection', caughtUp: false, behindMs: 9_000 }],
    });
    expect(beyondGrace).toMatchObject({
      ready: false,
      subscriptions: [{ caughtUp: false, behindMs: 11_000 }],
    });
    expect(caughtUpAgain).toMatchObject({ ready: true, subscriptions: [{ caughtUp: true, behindMs: 0 }] });
  });

  it('answers within its time limit when the store does not answer, and never piles calls up on it', async () => {
    const frozen = {
      engine: 'postgres',
      pings: 0,
      ping: () => {
        frozen.pings++;
        return never;
      },
    };
    const projection = heldSubscription('status-projection');
    const probe = new ReadinessProbe(frozen, () => [projection], { graceMs: 0, probeTimeoutMs: 200 });

    const startedAt = Date.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => probe.probe()));
    const elapsed = Date.now() - startedAt;

    expect(answers.every((answer) => !answer.ready && !answer.store.reachable)).toBe(true);
    expect(elapsed).toBeLessThan(2_000);
    expect(frozen.pings).toBe(1);
    expect(projection.calls()).toBe(1);
  });

  it('says a stopped subscription is not ready, in a sentence without the driver text', async () => {
    const projection = heldSubscription('status-projection');
    projection.fail = true;
    const probe = new ReadinessProbe(reachableStore, () => [projection], settings);

    const answer = await probe.probe();

    expect(answer.ready).toBe(false);
    expect(answer.subscriptions[0]?.error).toMatch(/stopped after a failure.*Restart calsync/);
    expect(JSON.stringify(answer)).not.toMatch(/SQL|relation/);
  });

  describe('on a running calsync', () => {
    let calsync: Calsync | undefined;
    afterEach(async () => {
      await calsync?.stop();
      calsync = undefined;
    });

    it('does not flap while services are edited several times a second', async () => {
      const store: EventStore = createInMemoryEventStore();
      const started = await startCalsyncUnderTest({ store });
      calsync = started.calsync;
      let editing = true;
      let edits = 0;
      const editor = (async () => {
        while (editing) {
          const answer = await started.app.inject({
            method: 'POST',
            url: '/v1/services',
            headers: { authorization: `Bearer ${tokens.acme}` },
            payload: {
              name: `Schnitt ${edits}`,
              slug: `schnitt-${edits}`,
              durationMinutes: 30,
              price: { amount: 3500, currency: 'EUR' },
            },
          });
          expect(answer.statusCode).toBe(201);
          edits++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      const statuses: number[] = [];
      for (let probe = 0; probe < 80; probe++) {
        statuses.push((await started.app.inject({ method: 'GET', url: '/health/ready' })).statusCode);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      editing = false;
      await editor;

      expect(edits).toBeGreaterThan(5);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    });
  });
});
