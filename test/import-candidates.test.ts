import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACME, ADMIN, GLOBEX, INITECH, ReconciliationWorld } from './support/reconciliation-fixture.js';

describe('importing a Cal.com event type no service is linked to (docs/sync.md, docs/http-contract.md)', () => {
  let world: ReconciliationWorld;
  let candidateId: number;

  beforeEach(async () => {
    world = await ReconciliationWorld.start();
    await world.linkedServices(2);
    await world.linkedServices(1, GLOBEX);
    candidateId = world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Bartpflege',
      slug: 'bartpflege',
      description: 'Trimmen und Formen',
      lengthInMinutes: 20,
      minimumBookingNotice: 60,
      beforeEventBuffer: 5,
      price: 1500,
      currency: 'eur',
    }).id;
  });
  afterEach(() => world.close());

  it('lists the team’s event types that no service is linked to, with the fields they would get', async () => {
    const candidates = (await world.reconciler.importCandidates(ACME.id))._unsafeUnwrap();
    expect(candidates).toEqual([
      {
        eventTypeId: candidateId,
        teamId: ACME.teamId,
        title: 'Bartpflege',
        slug: 'bartpflege',
        lengthInMinutes: 20,
        hidden: false,
        price: { amount: 1500, currency: 'EUR' },
        importAs: {
          name: 'Bartpflege',
          slug: 'bartpflege',
          description: 'Trimmen und Formen',
          durationMinutes: 20,
          isActive: true,
          bufferBeforeMinutes: 5,
          bufferAfterMinutes: 0,
          minimumBookingNoticeMinutes: 60,
          requiresConfirmation: false,
          disableGuests: false,
          price: { amount: 1500, currency: 'EUR' },
        },
      },
    ]);
    expect((await world.reconciler.importCandidates(GLOBEX.id))._unsafeUnwrap()).toEqual([]);
  });

  it('imports a candidate as a linked, synced service of the company that owns the team, audited as an import', async () => {
    const imported = await world.reconciler.importCandidate(ACME.id, candidateId, ADMIN, 'acme-bartpflege');
    const state = imported._unsafeUnwrap();
    expect(state).toMatchObject({
      serviceId: 'acme-bartpflege',
      companyId: ACME.id,
      link: { teamId: ACME.teamId, eventTypeId: candidateId },
    });
    await world.sync.idle();
    const view = world.view('acme-bartpflege');
    expect(view.sync.status).toBe('synced');
    expect(view.bookable).toBe(true);
    expect(view.fields).toMatchObject({
      name: 'Bartpflege',
      durationMinutes: 20,
      price: { amount: 1500, currency: 'EUR' },
    });

    const events = (await world.serviceEvents()).filter((e) => e.data.serviceId === 'acme-bartpflege');
    expect(events[0]).toMatchObject({
      type: 'ServiceRegistered',
      data: { origin: 'calcom_import', actor: ADMIN },
    });
    expect(world.readModel.listCompany(GLOBEX.id).map((s) => s.serviceId)).not.toContain('acme-bartpflege');

    // No longer a candidate, and a reconciliation finds it in sync.
    expect((await world.reconciler.importCandidates(ACME.id))._unsafeUnwrap()).toEqual([]);
    const run = await world.reconcile('apply');
    expect(run.counts).toMatchObject({ linked: 3, confirmed: 3, diverged: 0, candidates: 0 });
  });

  it('refuses a second import of the same event type', async () => {
    await world.reconciler.importCandidate(ACME.id, candidateId, ADMIN, 'first');
    const again = await world.reconciler.importCandidate(ACME.id, candidateId, ADMIN, 'second');
    expect(again._unsafeUnwrapErr()).toMatchObject({
      code: 'ALREADY_IMPORTED',
      details: { serviceId: 'first' },
    });
    expect(world.readModel.get('second')).toBeUndefined();
  });

  it('refuses to import another team’s event type into a company', async () => {
    const result = await world.reconciler.importCandidate(GLOBEX.id, candidateId, ADMIN, 'stolen');
    expect(result._unsafeUnwrapErr().code).toBe('CANDIDATE_NOT_FOUND');
    expect(world.readModel.get('stolen')).toBeUndefined();
  });

  it('refuses an event type linked by a service of another company without naming that service', async () => {
    const [globexService] = world.readModel.listCompany(GLOBEX.id);
    const eventTypeId = globexService?.link?.eventTypeId ?? 0;
    const result = await world.reconciler.importCandidate(GLOBEX.id, eventTypeId, ADMIN, 'twice');
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'ALREADY_IMPORTED' });
    expect(result._unsafeUnwrapErr().message).toContain('already linked');
  });

  it('refuses an event type whose slug a service of the company already uses', async () => {
    const clashing = world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Clash',
      slug: 'acme-service-1',
    });
    const result = await world.reconciler.importCandidate(ACME.id, clashing.id, ADMIN, 'clash');
    expect(result._unsafeUnwrapErr()).toMatchObject({
      code: 'SLUG_CONFLICT',
      details: { serviceId: 'acme-svc-1' },
    });
  });

  it('refuses an event type that does not exist, and a company without Cal.com', async () => {
    expect(
      (await world.reconciler.importCandidate(ACME.id, 987_654, ADMIN, 'x'))._unsafeUnwrapErr().code,
    ).toBe('CANDIDATE_NOT_FOUND');
    expect((await world.reconciler.importCandidates(INITECH.id))._unsafeUnwrapErr().code).toBe(
      'CALCOM_NOT_CONFIGURED',
    );
    expect(
      (await world.reconciler.importCandidate(INITECH.id, candidateId, ADMIN, 'x'))._unsafeUnwrapErr().code,
    ).toBe('CALCOM_NOT_CONFIGURED');
  });

  it('says Cal.com is unavailable when the listing fails', async () => {
    world.listingAnswers(ACME.teamId, 502);
    const result = await world.reconciler.importCandidates(ACME.id);
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'CALCOM_UNAVAILABLE' });
  });

  it('explains an event type whose values the platform cannot take', async () => {
    const odd = world.simulator.control.uiCreateEventType(ACME.teamId, { title: 'Odd', slug: 'Not_Kebab' });
    const result = await world.reconciler.importCandidate(ACME.id, odd.id, ADMIN, 'odd');
    const error = result._unsafeUnwrapErr();
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(`Cal.com event type ${odd.id} cannot be imported as it is`);
  });
});
