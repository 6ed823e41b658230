import type { ReconciliationFinding, ServiceView } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, expectError, expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { platformOnlyEdit, serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme, beta } from './support/tenants.js';

const eventsOf = (entries: Array<{ event: string }>) => entries.map((entry) => entry.event);
const RUN_WAIT_MS = 10_000;

interface RunBody {
  runId: string;
  state: 'running' | 'completed' | 'aborted';
  findings: ReconciliationFinding[];
}

/** Starts a check run of the company's team over HTTP and waits (bounded) until it has ended. */
async function checkRun(api: ApiClient): Promise<RunBody> {
  const { runId } = expectStatus(
    await api.post<{ runId: string }>('/v1/reconciliations', { mode: 'check' }),
    202,
  );
  const deadline = Date.now() + RUN_WAIT_MS;
  for (;;) {
    const run = expectStatus(await api.get<RunBody>(`/v1/reconciliations/${runId}`), 200);
    if (run.state !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still running after ${RUN_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const count = (entries: Array<{ event: string }>, event: string) =>
  entries.filter((entry) => entry.event === event).length;

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`Services over HTTP ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;

    beforeAll(async () => {
      // A failed push retries only after ten minutes, so a service kept pending stays pending.
      harness = await CalsyncHarness.start({
        engine,
        tag: 'services',
        sync: { maxAttempts: 3, baseDelayMs: 600_000, maxDelayMs: 600_000 },
      });
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('register → link → edit: every response and the GET after it reflect the command, and the service is pending', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme, { title: 'Herrenhaarschnitt', lengthInMinutes: 30 });
      // Cal.com is down for this test: whether or not a push is attempted, nothing can confirm it.
      harness.simulator.control.injectFault({ kind: 'status', status: 503 });
      try {
        const registered = await api.register(serviceBody());
        expect(registered.sync.status).toBe('never');
        expect(registered.calcom).toBeNull();
        expect(await api.service(registered.serviceId)).toEqual(registered);

        const linked = await api.link(registered.serviceId, eventType.id);
        expect(linked.calcom).toEqual({ eventTypeId: eventType.id, teamId: acme.teamId });
        expect(linked.sync.status).toBe('pending');
        expect(linked.revision).toBeGreaterThan(registered.revision);
        expect((await api.service(registered.serviceId)).calcom).toEqual(linked.calcom);

        const edited = await api.edit(registered.serviceId, { durationMinutes: 45, name: 'Herrenschnitt' });
        expect(edited.fields.durationMinutes).toBe(45);
        expect(edited.fields.name).toBe('Herrenschnitt');
        expect(edited.sync.status).toBe('pending');
        expect(edited.bookable).toBe(false);
        expect(edited.notBookableReasons.map((reason) => reason.code)).toContain('SYNC_PENDING');
        expect(edited.sync.direction).toBe('platform→calcom');

        const read = await api.service(registered.serviceId);
        expect(read.fields).toEqual(edited.fields);
        expect(read.sync.status).toBe('pending');
        expect((await api.services('?status=pending')).map((view) => view.serviceId)).toContain(
          registered.serviceId,
        );
        expect((await api.services('?bookable=true')).map((view) => view.serviceId)).not.toContain(
          registered.serviceId,
        );

        const trail = await api.serviceAudit(registered.serviceId);
        // Attempts the sync makes meanwhile interleave; none of them can have succeeded.
        expect(eventsOf(trail.filter((entry) => entry.source === 'sync'))).not.toContain('SyncSucceeded');
        expect(eventsOf(trail.filter((entry) => entry.source === 'platform'))).toEqual([
          'ServiceRegistered',
          'CalcomLinked',
          'SyncRequested',
          'ServiceEdited',
          'SyncRequested',
        ]);
        const edit = trail.find((entry) => entry.event === 'ServiceEdited');
        expect(edit?.changes).toEqual(
          expect.arrayContaining([
            { field: 'durationMinutes', from: 30, to: 45 },
            { field: 'name', from: 'Herrenhaarschnitt', to: 'Herrenschnitt' },
          ]),
        );
        expect(edit?.actor).toMatch(/^admin:acme/);
        expect(edit?.source).toBe('platform');
      } finally {
        await harness.syncSettled();
        harness.simulator.control.clearFaults();
      }
    });

    it('once Cal.com confirms the push the service is synced and bookable, and Cal.com holds its values', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme, { title: 'Alt', lengthInMinutes: 15, hidden: true });
      const service = await api.register(
        serviceBody({
          name: 'Bartpflege',
          durationMinutes: 20,
          bufferAfterMinutes: 5,
          calcom: { eventTypeId: eventType.id },
        }),
      );
      expect(service.sync.status).toBe('pending');

      await harness.syncSettled();

      const view = await api.service(service.serviceId);
      expect(view.sync).toMatchObject({ status: 'synced', lastError: null, attempts: 1 });
      expect(view.sync.lastSuccessAt).not.toBeNull();
      expect(view.bookable).toBe(true);
      expect(view.notBookableReasons).toEqual([]);
      expect(harness.simulator.control.getEventType(acme.teamId, eventType.id)).toMatchObject({
        title: 'Bartpflege',
        lengthInMinutes: 20,
        afterEventBuffer: 5,
        hidden: false,
      });
      expect((await api.services('?bookable=true')).map((entry) => entry.serviceId)).toContain(
        service.serviceId,
      );
    });

    it('an edit of only platform-only fields requests no sync and sends nothing to Cal.com', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme);
      const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      const before = await api.service(service.serviceId);
      const trailBefore = await api.serviceAudit(service.serviceId);
      harness.simulator.control.clearRequests();

      const edited = await api.edit(service.serviceId, { ...platformOnlyEdit });
      await harness.syncSettled();

      expect(edited.fields).toMatchObject(platformOnlyEdit);
      expect(edited.sync.status).toBe(before.sync.status);
      const trail = await api.serviceAudit(service.serviceId);
      expect(eventsOf(trail.slice(trailBefore.length))).toEqual(['ServiceEdited']);
      expect(count(trail, 'SyncRequested')).toBe(count(trailBefore, 'SyncRequested'));
      expect(harness.simulator.control.requests()).toEqual([]);
      expect(await api.service(service.serviceId)).toEqual(edited);
    });

    it('an edit that changes nothing appends nothing', async () => {
      const api = harness.api(acme);
      const service = await api.register(serviceBody({ durationMinutes: 30, category: 'Haare' }));

      const same = await api.edit(service.serviceId, { durationMinutes: 30, category: 'Haare' });

      expect(same.revision).toBe(service.revision);
      expect(await api.serviceAudit(service.serviceId)).toHaveLength(1);
    });

    it('a stale If-Match answers 409 REVISION_CONFLICT with the current view and changes nothing', async () => {
      const api = harness.api(acme);
      const service = await api.register(serviceBody());
      const fresh = await api.patch<ServiceView>(
        `/v1/services/${service.serviceId}`,
        { durationMinutes: 40 },
        { headers: { 'if-match': `"${service.revision}"` } },
      );
      const current = expectStatus(fresh, 200);
      expect(fresh.headers.get('etag')).toBe(`"${current.revision}"`);

      const stale = await api.patch(
        `/v1/services/${service.serviceId}`,
        { durationMinutes: 50 },
        { headers: { 'if-match': `"${service.revision}"` } },
      );

      const error = expectError(stale, 409, 'REVISION_CONFLICT');
      expect(error.message).toBe(
        `The service changed since revision ${service.revision}; it is now at revision ${current.revision}. Reload it, re-apply your edit and retry with If-Match: "${current.revision}".`,
      );
      expect(error.details).toMatchObject({
        current: { revision: current.revision, fields: { durationMinutes: 40 } },
      });
      expect(await api.service(service.serviceId)).toEqual(current);
      expect(count(await api.serviceAudit(service.serviceId), 'ServiceEdited')).toBe(1);
    });

    it('another company’s service answers 404 to every read and write, and stays untouched', async () => {
      const owner = harness.api(acme);
      const other = harness.api(beta);
      const eventType = harness.createEventType(acme);
      const service = await owner.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      const before = await owner.service(service.serviceId);
      const trailBefore = await owner.serviceAudit(service.serviceId);
      const path = `/v1/services/${service.serviceId}`;

      const answers = [
        await other.get(path),
        await other.patch(path, { name: 'Übernommen' }),
        await other.post(`${path}/link`, { eventTypeId: beta.eventTypes[0]?.id }),
        await other.post(`${path}/sync`),
        await other.post(`${path}/unlink`, { reason: 'Übernahme' }),
        await other.post(`${path}/divergence/resolve`, { fields: { name: 'keep_platform' } }),
        await other.post(`${path}/sync-status/reset`),
        await other.get(`${path}/audit`),
      ];

      for (const answer of answers) expectError(answer, 404, 'SERVICE_NOT_FOUND');
      expect((await other.services()).map((view) => view.serviceId)).not.toContain(service.serviceId);
      expect((await other.companyAudit()).map((entry) => entry.serviceId)).not.toContain(service.serviceId);
      expect(await owner.service(service.serviceId)).toEqual(before);
      expect(await owner.serviceAudit(service.serviceId)).toEqual(trailBefore);
    });

    it('POST /sync answers 202 with the request already in the view, and a GET right after shows it', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme);
      harness.simulator.control.injectFault({ kind: 'status', status: 503 });
      try {
        const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
        const trailBefore = await api.serviceAudit(service.serviceId);

        const response = await api.post<ServiceView>(`/v1/services/${service.serviceId}/sync`);

        const view = expectStatus(response, 202);
        expect(view.sync.status).toBe('pending');
        expect(view.revision).toBeGreaterThan(service.revision);
        const trail = await api.serviceAudit(service.serviceId);
        expect(count(trail, 'SyncRequested')).toBe(count(trailBefore, 'SyncRequested') + 1);
        expect(trail.filter((entry) => entry.event === 'SyncRequested').at(-1)?.summary).toContain(
          '(manual)',
        );
        const read = await api.service(service.serviceId);
        expect(read.sync.status).toBe('pending');
        expect(read.revision).toBeGreaterThanOrEqual(view.revision);
      } finally {
        await harness.syncSettled();
        harness.simulator.control.clearFaults();
      }
    });

    it('a service linked to no event type cannot be synced: 409 NOT_LINKED', async () => {
      const api = harness.api(acme);
      const service = await api.register(serviceBody());

      expectError(await api.post(`/v1/services/${service.serviceId}/sync`), 409, 'NOT_LINKED');
      expect(await api.serviceAudit(service.serviceId)).toHaveLength(1);
    });

    it('unlinking a synced service stops its sync: 200 with the view, the reason in the trail, later edits reach no one', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme, { title: 'Kinderhaarschnitt', lengthInMinutes: 20 });
      const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      expect((await api.service(service.serviceId)).sync.status).toBe('synced');

      const response = await api.post<ServiceView>(`/v1/services/${service.serviceId}/unlink`, {
        reason: 'Wird nicht mehr über Cal.com gebucht',
      });

      const unlinked = expectStatus(response, 200);
      expect(unlinked.calcom).toBeNull();
      expect(unlinked.sync.status).toBe('never');
      expect(unlinked.bookable).toBe(false);
      expect(unlinked.nextAction).toEqual({
        code: 'LINK_EVENT_TYPE',
        message: 'Link the service to a Cal.com event type to make it bookable.',
        request: `POST /v1/services/${service.serviceId}/link`,
      });
      expect(await api.service(service.serviceId)).toEqual(unlinked);
      const trail = await api.serviceAudit(service.serviceId);
      expect(trail.at(-1)).toMatchObject({
        event: 'CalcomUnlinked',
        source: 'platform',
        summary: `Unlinked from Cal.com event type ${eventType.id}: Wird nicht mehr über Cal.com gebucht.`,
      });

      harness.simulator.control.clearRequests();
      const edited = await api.edit(service.serviceId, {
        durationMinutes: service.fields.durationMinutes + 5,
      });
      await harness.syncSettled();
      expect(edited.sync.status).toBe('never');
      expect(eventsOf((await api.serviceAudit(service.serviceId)).slice(trail.length))).toEqual([
        'ServiceEdited',
      ]);
      expect(harness.simulator.control.requests()).toEqual([]);
      expect(harness.simulator.control.getEventType(acme.teamId, eventType.id)).toMatchObject({
        lengthInMinutes: service.fields.durationMinutes,
      });
    });

    it('reconciliation no longer watches an unlinked service: its event type becomes an import candidate', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme, { title: 'Färben' });
      const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      const watched = await checkRun(api);
      expect(watched.findings).toContainEqual(
        expect.objectContaining({ serviceId: service.serviceId, eventTypeId: eventType.id }),
      );

      expectStatus(await api.post(`/v1/services/${service.serviceId}/unlink`), 200);
      const run = await checkRun(api);

      expect(run.state).toBe('completed');
      expect(
        run.findings.filter((finding) => 'serviceId' in finding && finding.serviceId === service.serviceId),
      ).toEqual([]);
      expect(run.findings).toContainEqual(
        expect.objectContaining({ kind: 'import_candidate', eventTypeId: eventType.id }),
      );
      expect((await api.serviceAudit(service.serviceId)).at(-1)?.summary).toBe(
        `Unlinked from Cal.com event type ${eventType.id}: no reason given.`,
      );
    });

    it('unlinking a pending service drops its push: nothing is waiting any more', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme);
      harness.simulator.control.injectFault({ kind: 'status', status: 503 });
      try {
        const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
        expect(service.sync.status).toBe('pending');

        const unlinked = expectStatus(
          await api.post<ServiceView>(`/v1/services/${service.serviceId}/unlink`),
          200,
        );

        expect(unlinked.sync).toMatchObject({ status: 'never', nextRetryAt: null });
        expect((await api.services('?status=pending')).map((view) => view.serviceId)).not.toContain(
          service.serviceId,
        );
      } finally {
        await harness.syncSettled();
        harness.simulator.control.clearFaults();
      }
    });

    it('a service linked to no event type cannot be unlinked: 409 NOT_LINKED, nothing appended', async () => {
      const api = harness.api(acme);
      const service = await api.register(serviceBody());

      const error = expectError(
        await api.post(`/v1/services/${service.serviceId}/unlink`),
        409,
        'NOT_LINKED',
      );

      expect(error.message).toBe(
        `Service "${service.serviceId}" is not linked to a Cal.com event type. Link it with POST /v1/services/${service.serviceId}/link first.`,
      );
      expect(await api.serviceAudit(service.serviceId)).toHaveLength(1);
    });

    it('an unlink body other than an optional reason is refused: 400, nothing appended', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme);
      const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      const trailBefore = await api.serviceAudit(service.serviceId);
      const path = `/v1/services/${service.serviceId}/unlink`;

      for (const body of [{ reason: '' }, { reason: 'x'.repeat(501) }, { reason: 'ok', force: true }, []]) {
        expectError(await api.post(path, body), 400, 'VALIDATION_FAILED');
      }
      expect(await api.serviceAudit(service.serviceId)).toEqual(trailBefore);
      expectError(await api.post('/v1/services/no-such-service/unlink'), 404, 'SERVICE_NOT_FOUND');
    });
  });
}
