import type { ServiceState } from '@calsync/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACME, ReconciliationWorld } from './support/reconciliation-fixture.js';

function eventTypeOf(service: ServiceState): number {
  if (!service.link) throw new Error(`${service.serviceId} is not linked`);
  return service.link.eventTypeId;
}

describe('reconciliation finds what was changed in Cal.com’s UI (docs/sync.md)', () => {
  let world: ReconciliationWorld;
  let services: ServiceState[];

  beforeEach(async () => {
    world = await ReconciliationWorld.start();
    services = await world.linkedServices(4);
  });
  afterEach(() => world.close());

  it('an edit of title, length, hidden and price is one divergence listing each field with both values', async () => {
    const [edited] = services as [ServiceState];
    world.simulator.control.uiEditEventType(ACME.teamId, eventTypeOf(edited), {
      title: 'Haarschnitt (aus Cal.com)',
      lengthInMinutes: 45,
      hidden: true,
      price: 4200,
    });
    const fieldsBefore = world.service(edited.serviceId).fields;
    const fields = [
      { field: 'name', platform: 'Service 1', calcom: 'Haarschnitt (aus Cal.com)' },
      { field: 'durationMinutes', platform: 30, calcom: 45 },
      { field: 'isActive', platform: true, calcom: false },
      {
        field: 'price',
        platform: { amount: 3500, currency: 'EUR' },
        calcom: { amount: 4200, currency: 'EUR' },
      },
    ];

    // check first: it reports exactly what apply will do, and appends no service event.
    const before = await world.serviceEvents();
    const check = await world.reconcile('check');
    expect(check).toMatchObject({ state: 'completed', mode: 'check', serviceEventsAppended: 0 });
    expect(check.findings).toContainEqual({
      kind: 'diverged',
      serviceId: edited.serviceId,
      eventTypeId: eventTypeOf(edited),
      fields,
      alreadyRecorded: false,
    });
    expect(await world.serviceEvents()).toEqual(before);

    const apply = await world.reconcile('apply');
    expect(apply.findings).toEqual(check.findings);
    expect(apply.counts).toEqual(check.counts);
    expect(apply.counts).toMatchObject({ linked: 4, listed: 4, confirmed: 3, diverged: 1, candidates: 0 });
    expect(apply.serviceEventsAppended).toBe(1);
    const appended = (await world.serviceEvents()).slice(before.length);
    expect(appended).toMatchObject([
      {
        type: 'CalcomDiverged',
        data: {
          serviceId: edited.serviceId,
          actor: 'calcom:reconciliation',
          source: 'reconciliation',
          fields,
        },
      },
    ]);

    // The platform's fields are unchanged; the service is diverged and pushes are held.
    const view = world.view(edited.serviceId);
    expect(world.service(edited.serviceId).fields).toEqual(fieldsBefore);
    expect(view.sync.status).toBe('diverged');
    expect(view.divergence).toMatchObject({ source: 'reconciliation', fields });
    expect(view.bookable).toBe(false);

    // check on the same state appends nothing, and still reports the (recorded) divergence.
    const again = await world.reconcile('check');
    expect(again.findings).toContainEqual(
      expect.objectContaining({ kind: 'diverged', alreadyRecorded: true }),
    );
    const reapplied = await world.reconcile('apply');
    expect(reapplied.serviceEventsAppended).toBe(0);
    expect((await world.serviceEvents()).length).toBe(before.length + 1);
  });

  it('what the platform pushed itself is confirmation, not divergence', async () => {
    const [service] = services as [ServiceState];
    await world.execute({
      type: 'EditService',
      serviceId: service.serviceId,
      companyId: ACME.id,
      actor: 'admin:alice',
      at: new Date().toISOString(),
      patch: { name: 'Renamed on the platform', durationMinutes: 50 },
      syncId: 'edit-1',
    });
    await world.sync.idle();
    const run = await world.reconcile('apply');
    expect(run.counts).toMatchObject({ confirmed: 4, diverged: 0 });
    expect(run.serviceEventsAppended).toBe(0);
  });

  it('an event type deleted in Cal.com is orphaned only after three consecutive complete apply runs', async () => {
    const [deleted] = services as [ServiceState];
    const eventTypeId = eventTypeOf(deleted);
    world.simulator.control.uiDeleteEventType(ACME.teamId, eventTypeId);
    const missing = (n: number) => ({
      kind: 'missing',
      serviceId: deleted.serviceId,
      eventTypeId,
      consecutiveMisses: n,
      missesBeforeOrphan: 3,
    });

    expect((await world.reconcile('apply')).findings).toContainEqual(missing(1));
    // Neither a check run nor an aborted run moves the counter.
    expect((await world.reconcile('check')).findings).toContainEqual(missing(2));
    world.listingAnswers(ACME.teamId, 503);
    expect((await world.reconcile('apply')).state).toBe('aborted');
    expect((await world.reconcile('apply')).findings).toContainEqual(missing(2));
    expect(world.view(deleted.serviceId).sync.status).toBe('synced');

    const before = await world.serviceEvents();
    const third = await world.reconcile('apply');
    expect(third.findings).toContainEqual({
      kind: 'orphaned',
      serviceId: deleted.serviceId,
      eventTypeId,
      consecutiveMisses: 3,
    });
    expect((await world.serviceEvents()).slice(before.length)).toMatchObject([
      {
        type: 'CalcomEventTypeMissing',
        data: { serviceId: deleted.serviceId, eventTypeId, evidence: 'reconciliation', consecutiveMisses: 3 },
      },
    ]);
    const view = world.view(deleted.serviceId);
    expect(view.sync.status).toBe('orphaned');
    expect(view.fields.isActive).toBe(true);

    const fourth = await world.reconcile('apply');
    expect(fourth.findings).toContainEqual({
      kind: 'still_orphaned',
      serviceId: deleted.serviceId,
      eventTypeId,
    });
    expect(fourth.serviceEventsAppended).toBe(0);
  });

  it('an event type that reappears resets its miss counter', async () => {
    const [flaky] = services as [ServiceState];
    const eventTypeId = eventTypeOf(flaky);
    const held = world.simulator.control.getEventType(ACME.teamId, eventTypeId);
    world.simulator.control.uiDeleteEventType(ACME.teamId, eventTypeId);
    await world.reconcile('apply');
    expect((await world.reconcile('apply')).findings).toContainEqual(
      expect.objectContaining({ kind: 'missing', serviceId: flaky.serviceId, consecutiveMisses: 2 }),
    );

    world.simulator.control.uiCreateEventType(ACME.teamId, { ...held });
    const back = await world.reconcile('apply');
    expect(back.findings).toContainEqual({ kind: 'confirmed', serviceId: flaky.serviceId, eventTypeId });

    world.simulator.control.uiDeleteEventType(ACME.teamId, eventTypeId);
    expect((await world.reconcile('apply')).findings).toContainEqual(
      expect.objectContaining({ kind: 'missing', serviceId: flaky.serviceId, consecutiveMisses: 1 }),
    );
    expect(world.view(flaky.serviceId).sync.status).toBe('synced');
  });

  it('an event type no service is linked to is reported as an import candidate', async () => {
    const extra = world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Bartpflege',
      slug: 'bartpflege',
    });
    const run = await world.reconcile('apply');
    expect(run.findings).toContainEqual(
      expect.objectContaining({ kind: 'import_candidate', eventTypeId: extra.id, title: 'Bartpflege' }),
    );
    expect(run.counts?.candidates).toBe(1);
    expect(run.serviceEventsAppended).toBe(0);
  });
  it('a price divergence closes by itself once the price is changed in Cal.com’s payment settings', async () => {
    const [service] = services as [ServiceState];
    world.simulator.control.uiEditEventType(ACME.teamId, eventTypeOf(service), { price: 2900 });
    await world.reconcile('apply');
    expect(world.view(service.serviceId).sync.status).toBe('diverged');
    expect(world.view(service.serviceId).nextAction).toEqual({ code: 'RESOLVE_DIVERGENCE', priceOnly: true });

    // The remedy docs/events.md names: fix the price in Cal.com. The next run sees it and closes the divergence.
    world.simulator.control.uiEditEventType(ACME.teamId, eventTypeOf(service), {
      price: 3500,
      currency: 'eur',
    });
    const check = await world.reconcile('check');
    expect(check.findings).toContainEqual({
      kind: 'confirmed',
      serviceId: service.serviceId,
      eventTypeId: eventTypeOf(service),
      closesDivergence: true,
    });
    const apply = await world.reconcile('apply');
    expect(apply.serviceEventsAppended).toBe(1);
    const view = world.view(service.serviceId);
    expect(view).toMatchObject({ divergence: null, bookable: true, sync: { status: 'synced' } });
  });
});
