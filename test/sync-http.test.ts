import { toCalcomValues } from '@calsync/domain';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { serviceBody } from './support/service-bodies.js';
import { storeEngines } from './support/store-engines.js';
import { acme } from './support/tenants.js';

/**
 * The outbound sync end to end (docs/status.md, docs/sync.md): commands over HTTP on the embedded engine, the
 * process manager pushing to the Cal.com simulator, the status read back over HTTP.
 */
const embedded = storeEngines().find((engine) => engine.name === 'embedded')!;

describe('outbound sync over HTTP, against the Cal.com simulator', () => {
  let harness: CalsyncHarness;
  const api = () => harness.api(acme);
  const settled = () => harness.server.calsync.sync.settled();
  const eventTypePath = (id: number) => `/v2/teams/${acme.teamId}/event-types/${id}`;

  beforeAll(async () => {
    harness = await CalsyncHarness.start({
      engine: embedded,
      tag: 'sync-http',
      sync: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2000 },
    });
  });
  afterEach(() => harness.simulator.control.clearFaults());
  afterAll(async () => {
    await harness?.close();
  });

  async function syncedService(fields: Record<string, unknown> = {}) {
    const eventType = harness.createEventType(acme);
    const view = await api().register(serviceBody({ ...fields, calcom: { eventTypeId: eventType.id } }));
    await settled();
    expect((await api().service(view.serviceId)).sync.status).toBe('synced');
    return { serviceId: view.serviceId, eventTypeId: eventType.id };
  }

  it('an edit reaches Cal.com; the service is synced, bookable, with lastSuccessAt set', async () => {
    const { serviceId, eventTypeId } = await syncedService();
    const edited = await api().edit(serviceId, {
      name: 'Maschinenschnitt',
      durationMinutes: 20,
      disableGuests: true,
    });
    expect(edited.sync.status).toBe('pending');
    await settled();

    const view = await api().service(serviceId);
    expect(harness.simulator.control.getEventType(acme.teamId, eventTypeId)).toMatchObject(
      toCalcomValues(view.fields),
    );
    expect(view.sync).toMatchObject({ status: 'synced', lastError: null, nextRetryAt: null });
    expect(view.sync.lastSuccessAt).not.toBeNull();
    expect(view.bookable).toBe(true);
  });

  it('"calcom": {"create": true} creates the event type in Cal.com and links the service to it', async () => {
    const registered = await api().register(
      serviceBody({ name: 'Bartpflege', slug: 'bartpflege-neu', calcom: { create: true } }),
    );
    expect(registered.calcom).toEqual({ eventTypeId: null, teamId: acme.teamId });
    expect(registered.sync.status).toBe('pending');
    await settled();

    const view = await api().service(registered.serviceId);
    expect(view.sync.status).toBe('synced');
    expect(view.calcom?.eventTypeId).toEqual(expect.any(Number));
    const created = harness.simulator.control.getEventType(acme.teamId, view.calcom!.eventTypeId!);
    expect(created).toMatchObject(toCalcomValues(view.fields));
    const trail = (await api().serviceAudit(registered.serviceId)).map((entry) => entry.event);
    expect(trail).toEqual(['ServiceRegistered', 'SyncRequested', 'CalcomLinked', 'SyncSucceeded']);
  });

  it('a burst of 429s: pending with attempts counted while failing, then synced', async () => {
    const { serviceId, eventTypeId } = await syncedService();
    const before = await api().service(serviceId);
    // Cal.com's 429 carries no Retry-After, only its reset in seconds: the retry honours it.
    harness.simulator.control.injectFault({
      method: 'PATCH',
      path: eventTypePath(eventTypeId),
      kind: 'status',
      status: 429,
      headers: {
        'X-RateLimit-Limit-Default': '120',
        'X-RateLimit-Remaining-Default': '0',
        'X-RateLimit-Reset-Default': '1',
      },
      times: 2,
    });
    await api().edit(serviceId, { durationMinutes: 35 });
    await harness.server.calsync.sync.idle();

    const failing = await api().service(serviceId);
    expect(failing.sync).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failing.sync.lastError).toMatchObject({ kind: 'rate_limited', httpStatus: 429 });
    expect(failing.sync.lastAttemptAt).not.toBe(failing.sync.lastSuccessAt);
    expect(failing.sync.lastSuccessAt).toBe(before.sync.lastSuccessAt);
    expect(
      Date.parse(failing.sync.nextRetryAt!) - Date.parse(failing.sync.lastAttemptAt!),
    ).toBeGreaterThanOrEqual(1000);
    expect(failing.bookable).toBe(false);

    await settled();
    const view = await api().service(serviceId);
    expect(view.sync).toMatchObject({ status: 'synced', attempts: 3, lastError: null });
    expect(view.sync.lastSuccessAt).toBe(view.sync.lastAttemptAt);
    expect(harness.simulator.control.getEventType(acme.teamId, eventTypeId)?.lengthInMinutes).toBe(35);
  });

  it("a 400 is an error with Cal.com's message; after the fix, a reset pushes again", async () => {
    const { serviceId, eventTypeId } = await syncedService();
    const taken = harness.createEventType(acme);
    await api().edit(serviceId, { slug: taken.slug });
    await settled();

    const failed = await api().service(serviceId);
    expect(failed.sync.status).toBe('error');
    expect(failed.sync.lastError).toEqual({
      kind: 'rejected',
      httpStatus: 400,
      message: `Team with id=${acme.teamId} already has an event type with slug ${taken.slug}.`,
    });
    expect(failed.nextAction?.code).toBe('RESET_SYNC_STATUS');

    harness.simulator.control.uiEditEventType(acme.teamId, taken.id, { slug: `${taken.slug}-old` });
    const reset = expectStatus(await api().post(`/v1/services/${serviceId}/sync-status/reset`), 202);
    expect(reset).toMatchObject({ sync: { status: 'pending' } });
    await settled();
    expect((await api().service(serviceId)).sync).toMatchObject({ status: 'synced', lastError: null });
    expect(harness.simulator.control.getEventType(acme.teamId, eventTypeId)?.slug).toBe(taken.slug);
  });

  it('a 404 orphans the service and leaves isActive untouched', async () => {
    const { serviceId, eventTypeId } = await syncedService();
    harness.simulator.control.uiDeleteEventType(acme.teamId, eventTypeId);
    await api().edit(serviceId, { description: 'Nur mit Termin' });
    await settled();

    const view = await api().service(serviceId);
    expect(view.sync.status).toBe('orphaned');
    expect(view.sync.lastError).toMatchObject({ kind: 'not_found', httpStatus: 404 });
    expect(view.fields.isActive).toBe(true);
    expect(view.bookable).toBe(false);
    expect(view.notBookableReasons.map((reason) => reason.code)).toContain('ORPHANED');
  });

  it('a 401 pauses the team with one status; the reset of the failed service resumes every service', async () => {
    const first = await syncedService();
    const second = await syncedService();
    harness.simulator.control.injectFault({ method: 'PATCH', kind: 'status', status: 401 });
    await api().edit(first.serviceId, { durationMinutes: 40 });
    await api().edit(second.serviceId, { durationMinutes: 50 });
    await settled();

    const views = [await api().service(first.serviceId), await api().service(second.serviceId)];
    const failed = views.filter((view) => view.sync.status === 'error');
    expect(failed).toHaveLength(1);
    expect(views.filter((view) => view.sync.status === 'pending')).toHaveLength(1);
    for (const view of views) {
      expect(view.notBookableReasons.map((reason) => reason.code)).toContain('TEAM_SYNC_PAUSED');
      expect(view.nextAction?.code).toBe('FIX_CALCOM_CREDENTIALS');
    }
    const trails = [
      ...(await api().serviceAudit(first.serviceId)),
      ...(await api().serviceAudit(second.serviceId)),
    ];
    expect(trails.filter((entry) => entry.event === 'SyncFailed')).toHaveLength(1);

    harness.simulator.control.clearFaults();
    expectStatus(await api().post(`/v1/services/${failed[0]!.serviceId}/sync-status/reset`), 202);
    await settled();
    for (const { serviceId } of [first, second]) {
      const view = await api().service(serviceId);
      expect(view.sync.status).toBe('synced');
      expect(view.notBookableReasons).toEqual([]);
    }
    expect(harness.simulator.control.getEventType(acme.teamId, first.eventTypeId)?.lengthInMinutes).toBe(40);
    expect(harness.simulator.control.getEventType(acme.teamId, second.eventTypeId)?.lengthInMinutes).toBe(50);
  });

  it('the reset of a service that was only waiting for its paused team resumes the team (202)', async () => {
    const first = await syncedService();
    const second = await syncedService();
    harness.simulator.control.injectFault({ method: 'PATCH', kind: 'status', status: 403 });
    await api().edit(first.serviceId, { durationMinutes: 35 });
    await api().edit(second.serviceId, { durationMinutes: 55 });
    await settled();
    const waiting = [await api().service(first.serviceId), await api().service(second.serviceId)].find(
      (view) => view.sync.status === 'pending',
    );

    harness.simulator.control.clearFaults();
    const reset = expectStatus(
      await api().post(`/v1/services/${waiting!.serviceId}/sync-status/reset`),
      202,
    ) as {
      notBookableReasons: Array<{ code: string }>;
    };
    expect(reset.notBookableReasons.map((reason) => reason.code)).not.toContain('TEAM_SYNC_PAUSED');
    await settled();
    expect((await api().service(waiting!.serviceId)).sync.status).toBe('synced');
  });
});
