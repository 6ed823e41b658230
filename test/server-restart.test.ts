import type { AuditEntry, ServiceView } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { platformOnlyEdit, serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme, beta, type Tenant } from './support/tenants.js';

interface CompanyViews {
  list: ServiceView[];
  services: ServiceView[];
  trails: AuditEntry[][];
  feed: AuditEntry[];
}

/** Everything a company can read about its services. */
async function viewsOf(api: ApiClient): Promise<CompanyViews> {
  const list = await api.services();
  const services = await Promise.all(list.map((view) => api.service(view.serviceId)));
  const trails = await Promise.all(list.map((view) => api.serviceAudit(view.serviceId)));
  return { list, services, trails, feed: await api.companyAudit() };
}

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`A restart ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;

    beforeAll(async () => {
      harness = await CalsyncHarness.start({ engine, tag: 'restart' });
    });
    afterAll(async () => {
      await harness?.close();
    });

    async function populate(tenant: Tenant): Promise<void> {
      const api = harness.api(tenant);
      await api.register(serviceBody({ name: `${tenant.id} nie verknüpft` }));
      const edited = await api.register(serviceBody({ name: `${tenant.id} bearbeitet` }));
      await api.edit(edited.serviceId, { ...platformOnlyEdit, durationMinutes: 40 });
      const linked = harness.createEventType(tenant);
      await api.register(serviceBody({ name: `${tenant.id} verknüpft`, calcom: { eventTypeId: linked.id } }));
      const diverging = harness.createEventType(tenant);
      await api.register(
        serviceBody({ name: `${tenant.id} abweichend`, calcom: { eventTypeId: diverging.id } }),
      );
      await harness.syncSettled();
      await harness.relayCalcomEdit(tenant, diverging.id, { price: 9900, currency: 'eur' });
      const deleted = harness.createEventType(tenant);
      await api.register(serviceBody({ name: `${tenant.id} verwaist`, calcom: { eventTypeId: deleted.id } }));
      await harness.syncSettled();
      harness.simulator.control.uiDeleteEventType(tenant.teamId, deleted.id);
      await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(tenant.id),
        secret: tenant.webhookSecret,
        triggerEvent: 'EVENT_TYPE_DELETED',
        payload: { id: deleted.id },
      });
      await harness.syncSettled();
    }

    it('keeps every view: lists, services, trails and the audit feed of every company', async () => {
      await populate(acme);
      await populate(beta);
      const before = { acme: await viewsOf(harness.api(acme)), beta: await viewsOf(harness.api(beta)) };
      expect(before.acme.list.map((view) => view.sync.status)).toEqual(
        expect.arrayContaining(['never', 'diverged', 'orphaned']),
      );

      await harness.restart();
      await harness.syncSettled();

      expect(await viewsOf(harness.api(acme))).toEqual(before.acme);
      expect(await viewsOf(harness.api(beta))).toEqual(before.beta);
    });

    it('goes on where it stopped: the next command appends after the last revision', async () => {
      const api = harness.api(acme);
      const service = await api.register(serviceBody());
      await harness.restart();

      const edited = await api.edit(service.serviceId, { durationMinutes: 55 });

      expect(edited.revision).toBe(service.revision + 1);
      expect((await api.serviceAudit(service.serviceId)).map((entry) => entry.event)).toEqual([
        'ServiceRegistered',
        'ServiceEdited',
      ]);
    });
  });
}
