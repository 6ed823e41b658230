import { reconciliationStreamName, SCHEMA_VERSION } from '@calsync/domain';
import { expected } from '@calsync/eventstore';
import type { SyncTimers } from '@calsync/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ACME, ADMIN, GLOBEX, INITECH, ReconciliationWorld } from './support/reconciliation-fixture.js';

/** Timers that fire only when a test says so. */
class HandTimers implements SyncTimers {
  private tasks: Array<{ ms: number; task: () => void }> = [];
  schedule(ms: number, task: () => void) {
    const entry = { ms, task };
    this.tasks.push(entry);
    return () => {
      this.tasks = this.tasks.filter((t) => t !== entry);
    };
  }
  /** Fires every timer scheduled so far; returns their delays. */
  fire(): number[] {
    const due = this.tasks;
    this.tasks = [];
    for (const entry of due) entry.task();
    return due.map((entry) => entry.ms);
  }
  get pending(): number {
    return this.tasks.length;
  }
}

describe('reconciliation runs: on demand, periodic, one at a time, scoped to the company', () => {
  let world: ReconciliationWorld;
  afterEach(() => world.close());

  it('records each run on reconciliation-<teamId> as started and completed, with counts and findings', async () => {
    world = await ReconciliationWorld.start();
    await world.linkedServices(2);
    const run = await world.reconcile('check');
    const stream = (await world.store.readStream(reconciliationStreamName(ACME.teamId)))._unsafeUnwrap();
    expect(stream.map((e) => e.type)).toEqual(['ReconciliationStarted', 'ReconciliationCompleted']);
    expect(stream[0]?.data).toMatchObject({
      runId: run.runId,
      companyId: ACME.id,
      mode: 'check',
      actor: ADMIN,
    });
    expect(stream[1]?.data).toMatchObject({
      runId: run.runId,
      counts: { linked: 2, confirmed: 2 },
      misses: [],
    });
  });

  it('answers a second request while a run is under way with the running run’s id', async () => {
    world = await ReconciliationWorld.start();
    await world.linkedServices(1);
    const [first, second] = await Promise.all([
      world.reconciler.run(ACME.id, 'apply', ADMIN),
      world.reconciler.run(ACME.id, 'check', ADMIN),
    ]);
    expect(first._unsafeUnwrap().alreadyRunning).toBe(false);
    expect(second._unsafeUnwrap()).toEqual({ runId: first._unsafeUnwrap().runId, alreadyRunning: true });
    const running = (await world.reconciler.getRun(ACME.id, first._unsafeUnwrap().runId))._unsafeUnwrap();
    expect(running.state).toBe('running');
    await world.reconciler.idle();
    const stream = (await world.store.readStream(reconciliationStreamName(ACME.teamId)))._unsafeUnwrap();
    expect(stream.filter((e) => e.type === 'ReconciliationStarted')).toHaveLength(1);
  });

  it('shows a run to its own company only, also after a restart', async () => {
    world = await ReconciliationWorld.start();
    await world.linkedServices(1);
    const run = await world.reconcile('apply');
    expect((await world.reconciler.getRun(ACME.id, run.runId))._unsafeUnwrap()).toEqual(run);
    expect((await world.reconciler.getRun(GLOBEX.id, run.runId))._unsafeUnwrapErr().code).toBe(
      'RUN_NOT_FOUND',
    );
    expect((await world.reconciler.getRun(ACME.id, 'no-such-run'))._unsafeUnwrapErr().code).toBe(
      'RUN_NOT_FOUND',
    );
    const restarted = world.newReconciler();
    expect((await restarted.getRun(ACME.id, run.runId))._unsafeUnwrap()).toEqual(run);
  });

  it('shows a run the server stopped in the middle of as aborted', async () => {
    world = await ReconciliationWorld.start();
    await world.store.appendToStream(
      reconciliationStreamName(ACME.teamId),
      [
        {
          id: '00000000-0000-4000-8000-000000000001',
          type: 'ReconciliationStarted',
          data: {
            schemaVersion: SCHEMA_VERSION,
            runId: 'cut-short',
            companyId: ACME.id,
            teamId: ACME.teamId,
            mode: 'apply',
            actor: ADMIN,
            at: new Date().toISOString(),
          },
        },
      ],
      expected.any,
    );
    const view = (await world.reconciler.getRun(ACME.id, 'cut-short'))._unsafeUnwrap();
    expect(view).toMatchObject({ state: 'aborted', reason: { code: 'INTERRUPTED' } });
  });

  it('refuses to reconcile a company without Cal.com', async () => {
    world = await ReconciliationWorld.start();
    expect((await world.reconciler.run(INITECH.id, 'apply', ADMIN))._unsafeUnwrapErr().code).toBe(
      'CALCOM_NOT_CONFIGURED',
    );
    expect((await world.reconciler.getRun(INITECH.id, 'x'))._unsafeUnwrapErr().code).toBe(
      'CALCOM_NOT_CONFIGURED',
    );
  });

  it('runs an apply reconciliation of every configured team every intervalMinutes, and not after stop', async () => {
    const timers = new HandTimers();
    world = await ReconciliationWorld.start({ timers, settings: { intervalMinutes: 30 } });
    await world.linkedServices(1);
    await world.linkedServices(1, GLOBEX);
    await world.reconciler.start();
    expect(timers.fire()).toEqual([30 * 60_000, 30 * 60_000]);
    await world.reconciler.idle();
    for (const company of [ACME, GLOBEX]) {
      const stream = (await world.store.readStream(reconciliationStreamName(company.teamId)))._unsafeUnwrap();
      expect(stream.map((e) => [e.type, (e.data as { mode: string; companyId: string }).mode])).toEqual([
        ['ReconciliationStarted', 'apply'],
        ['ReconciliationCompleted', 'apply'],
      ]);
      expect(stream[0]?.data).toMatchObject({ actor: 'calcom:reconciliation', companyId: company.id });
    }
    // The next runs are scheduled once the previous ones ended: never two at once per team.
    expect(timers.pending).toBe(2);
    await world.reconciler.stop();
    expect(timers.pending).toBe(0);
  });

  it('keeps the rhythm of the periodic runs when another reconciler takes the team over', async () => {
    const timers = new HandTimers();
    world = await ReconciliationWorld.start({ timers, settings: { intervalMinutes: 30 } });
    await world.linkedServices(1);
    timers.fire();
    await world.reconciler.idle();
    await world.reconciler.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // As on the instance that takes the team after this one stopped: the next run is due 30
    // minutes after the last one ended, not 30 minutes after the take-over.
    const next = world.newReconciler();
    await next.teamTaken(ACME.teamId);
    const [delay] = timers.fire();
    expect(delay).toBeLessThan(30 * 60_000 - 40);
    expect(delay).toBeGreaterThan(29 * 60_000);
    await next.stop();
  });

  it('schedules nothing when intervalMinutes is 0', async () => {
    const timers = new HandTimers();
    world = await ReconciliationWorld.start({ timers, settings: { intervalMinutes: 0 } });
    await world.reconciler.start();
    expect(timers.pending).toBe(0);
  });
});
