import type { ServiceState } from '@calsync/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACME, ReconciliationWorld } from './support/reconciliation-fixture.js';

/**
 * The outage of the seeds (docs/architecture.md, docs/sync.md, principle 4): the old reconciliation read an empty list
 * and deactivated all 18 services every 30 minutes. Ours aborts with a reason and appends not
 * one service event, whatever the broken answer looks like.
 */
describe('reconciliation when Cal.com gives no evidence: 18 linked services', () => {
  let world: ReconciliationWorld;
  let services: ServiceState[];

  beforeAll(async () => {
    world = await ReconciliationWorld.start();
    services = await world.linkedServices(18);
  });
  afterAll(() => world.close());
  beforeEach(() => world.simulator.control.clearFaults());

  async function expectAbortedWithoutServiceEvents(code: string, mode: 'apply' | 'check' = 'apply') {
    const before = await world.serviceEvents();
    const run = await world.reconcile(mode);
    expect(run).toMatchObject({
      state: 'aborted',
      reason: { code },
      counts: null,
      findings: [],
      serviceEventsAppended: 0,
    });
    expect(run.reason?.message).toMatch(/Nothing was changed/);
    expect(await world.serviceEvents()).toEqual(before);
    for (const service of services) {
      const view = world.view(service.serviceId);
      expect(view.sync.status).toBe('synced');
      expect(view.fields.isActive).toBe(true);
      expect(view.bookable).toBe(true);
    }
    return run;
  }

  it('the team list answers empty: the run is aborted, the services stay synced and active', async () => {
    world.listingAnswers(ACME.teamId, 200, { status: 'success', data: [] });
    const run = await expectAbortedWithoutServiceEvents('LISTING_EMPTY');
    expect(run.reason?.message).toContain('18 service(s) are linked');
  });

  it('the team list answers empty three times in a row: still nothing is orphaned', async () => {
    for (let i = 0; i < 3; i++) {
      world.listingAnswers(ACME.teamId, 200, { status: 'success', data: [] });
      await expectAbortedWithoutServiceEvents('LISTING_EMPTY');
    }
    // The aborted runs did not count as misses: a complete run finds everything confirmed.
    const run = await world.reconcile('apply');
    expect(run.counts).toMatchObject({ linked: 18, confirmed: 18, missing: 0, orphaned: 0 });
  });

  it('the team list answers 500: the run is aborted with Cal.com’s failure as the reason', async () => {
    world.listingAnswers(ACME.teamId, 500);
    const run = await expectAbortedWithoutServiceEvents('CALCOM_UNAVAILABLE');
    expect(run.reason?.message).toContain('HTTP 500');
  });

  it('the team list answers 200 with a body that does not parse: aborted as unparseable', async () => {
    world.listingAnswers(ACME.teamId, 200, { status: 'success', data: [{ id: 'not-a-number', title: 7 }] });
    await expectAbortedWithoutServiceEvents('LISTING_UNPARSEABLE');
    world.listingAnswers(ACME.teamId, 200, '<html>maintenance</html>');
    await expectAbortedWithoutServiceEvents('LISTING_UNPARSEABLE');
  });

  it('the API key is refused: aborted, with what to check', async () => {
    world.listingAnswers(ACME.teamId, 401);
    const run = await expectAbortedWithoutServiceEvents('CALCOM_UNAVAILABLE');
    expect(run.reason?.message).toContain('API key');
  });

  it('a check run aborts the same way', async () => {
    world.listingAnswers(ACME.teamId, 200, { status: 'success', data: [] });
    await expectAbortedWithoutServiceEvents('LISTING_EMPTY', 'check');
  });

  it('more than half of the linked event types are gone at once: aborted, nothing counted', async () => {
    const gone = services.slice(0, 10).map((s) => s.link?.eventTypeId ?? 0);
    const kept = world.simulator.control.listEventTypes(ACME.teamId).filter((e) => !gone.includes(e.id));
    world.listingAnswers(ACME.teamId, 200, { status: 'success', data: kept });
    const run = await expectAbortedWithoutServiceEvents('TOO_MANY_MISSING');
    expect(run.reason?.message).toContain('10 of 18 linked services (56 %)');
  });
});
