import type { ServiceView } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme, beta } from './support/tenants.js';
import { deliveryBody, postWebhook, signatureOf } from './support/webhook-deliveries.js';

const count = (entries: Array<{ event: string }>, event: string) =>
  entries.filter((entry) => entry.event === event).length;

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`Cal.com webhooks over HTTP ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;

    beforeAll(async () => {
      harness = await CalsyncHarness.start({ engine, tag: 'webhooks' });
    });
    afterAll(async () => {
      await harness?.close();
    });

    /** A service of acme linked to a fresh event type, with every push Cal.com confirmed done. */
    async function linkedService(): Promise<{ service: ServiceView; eventTypeId: number }> {
      const eventType = harness.createEventType(acme, { title: 'Herrenhaarschnitt', lengthInMinutes: 30 });
      const service = await harness
        .api(acme)
        .register(serviceBody({ name: 'Herrenhaarschnitt', calcom: { eventTypeId: eventType.id } }));
      await harness.syncSettled();
      return { service: await harness.api(acme).service(service.serviceId), eventTypeId: eventType.id };
    }

    it('a relayed Cal.com change opens a divergence with both values and leaves every platform field untouched', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();

      const delivery = await harness.relayCalcomEdit(acme, eventTypeId, {
        title: 'Haarschnitt (Cal.com)',
        lengthInMinutes: 50,
        price: 4200,
        currency: 'eur',
      });

      expect(delivery.status).toBe(200);
      expect(JSON.parse(delivery.body)).toMatchObject({ outcome: 'diverged', serviceId: service.serviceId });
      const view = await api.service(service.serviceId);
      expect(view.fields).toEqual(service.fields);
      expect(view.sync.status).toBe('diverged');
      expect(view.bookable).toBe(false);
      expect(view.nextAction?.code).toBe('RESOLVE_DIVERGENCE');
      // Before Cal.com confirmed a first push there is no baseline to tell an edit from a late push,
      // so only the never-pushed price can diverge (docs/sync.md: echoes are not divergences).
      const confirmed = service.sync.lastSuccessAt !== null;
      const expected = [
        ...(confirmed
          ? [
              { field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Haarschnitt (Cal.com)' },
              { field: 'durationMinutes', platform: 30, calcom: 50 },
            ]
          : []),
        {
          field: 'price',
          platform: { amount: 3500, currency: 'EUR' },
          calcom: { amount: 4200, currency: 'EUR' },
        },
      ];
      expect(view.divergence?.source).toBe('webhook');
      expect(view.divergence?.fields).toEqual(expect.arrayContaining(expected));
      expect(view.divergence?.fields).toHaveLength(expected.length);

      const trail = await api.serviceAudit(service.serviceId);
      const diverged = trail.filter((entry) => entry.event === 'CalcomDiverged');
      expect(diverged).toHaveLength(1);
      expect(diverged[0]).toMatchObject({ actor: 'calcom:webhook', source: 'calcom_webhook' });
      expect(trail.filter((entry) => entry.actor === 'calcom:webhook').map((entry) => entry.event)).toEqual([
        'CalcomDiverged',
      ]);
      expect(count(trail, 'ServiceEdited')).toBe(0);
    });

    it('an echo of what calsync pushed is a confirmation, not a divergence, in either trigger spelling', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      const trailBefore = await api.serviceAudit(service.serviceId);

      const underscore = await harness.relayCalcomEdit(acme, eventTypeId, {}, 'EVENT_TYPE_UPDATED');
      const dotted = await harness.relayCalcomEdit(acme, eventTypeId, {}, 'EVENT_TYPE.UPDATED');

      for (const delivery of [underscore, dotted]) {
        expect(delivery.status).toBe(200);
        expect(JSON.parse(delivery.body)).toMatchObject({
          outcome: 'confirmed',
          serviceId: service.serviceId,
        });
      }
      expect(await api.serviceAudit(service.serviceId)).toEqual(trailBefore);
      expect((await api.service(service.serviceId)).divergence).toBeNull();
    });

    it('keep_platform pushes the platform’s values to Cal.com again', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      await harness.relayCalcomEdit(acme, eventTypeId, { title: 'Von Hand geändert', lengthInMinutes: 90 });

      const resolved = expectStatus(
        await api.post<ServiceView>(`/v1/services/${service.serviceId}/divergence/resolve`, {
          fields: { name: 'keep_platform', durationMinutes: 'keep_platform' },
        }),
        200,
      );
      await harness.syncSettled();

      expect(resolved.divergence).toBeNull();
      expect(resolved.sync.status).toBe('pending');
      expect(harness.simulator.control.getEventType(acme.teamId, eventTypeId)).toMatchObject({
        title: 'Herrenhaarschnitt',
        lengthInMinutes: 30,
      });
      const view = await api.service(service.serviceId);
      expect(view.sync.status).toBe('synced');
      expect(view.fields).toEqual(service.fields);
    });

    it('an open divergence holds pushes until an admin decides; accepting Cal.com’s value needs confirm', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      await harness.relayCalcomEdit(acme, eventTypeId, { price: 5000, currency: 'eur' });
      const path = `/v1/services/${service.serviceId}`;

      expectError(await api.post(`${path}/sync`), 409, 'DIVERGENCE_OPEN');
      expectError(
        await api.post(`${path}/divergence/resolve`, { fields: { price: 'accept_calcom' } }),
        400,
        'CONFIRMATION_REQUIRED',
      );
      expect((await api.service(service.serviceId)).sync.status).toBe('diverged');

      const resolved = expectStatus(
        await api.post<ServiceView>(`${path}/divergence/resolve`, {
          fields: { price: 'accept_calcom' },
          confirm: true,
        }),
        200,
      );

      expect(resolved.divergence).toBeNull();
      expect(resolved.fields.price).toEqual({ amount: 5000, currency: 'EUR' });
      expect(await api.service(service.serviceId)).toEqual(resolved);
      const trail = await api.serviceAudit(service.serviceId);
      const accepted = trail.find((entry) => entry.event === 'ServiceEdited');
      expect(accepted?.actor).toMatch(/^admin:acme/);
      expect(accepted?.changes).toEqual([
        { field: 'price', from: { amount: 3500, currency: 'EUR' }, to: { amount: 5000, currency: 'EUR' } },
      ]);
    });

    it('a wrong signature is 401 and changes nothing: the audit feed is identical before and after', async () => {
      const { service, eventTypeId } = await linkedService();
      const eventType = harness.simulator.control.uiEditEventType(acme.teamId, eventTypeId, { price: 9900 });
      const body = deliveryBody('EVENT_TYPE_UPDATED', { ...eventType });
      const feedBefore = await harness.api(acme).companyAudit();
      const viewBefore = await harness.api(acme).service(service.serviceId);

      const answers = [
        await postWebhook(harness.webhookUrl(acme.id), body, signatureOf('not-the-secret', body)),
        await postWebhook(harness.webhookUrl(acme.id), body, signatureOf(beta.webhookSecret, body)),
        await postWebhook(harness.webhookUrl(acme.id), `${body} `, signatureOf(acme.webhookSecret, body)),
        await postWebhook(harness.webhookUrl(acme.id), body, undefined),
        await postWebhook(harness.webhookUrl('nobody'), body, signatureOf(acme.webhookSecret, body)),
      ];

      for (const answer of answers) expectError(answer, 401, 'WEBHOOK_UNAUTHENTICATED');
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
      expect(await harness.api(acme).service(service.serviceId)).toEqual(viewBefore);
    });

    it('an unsigned delivery (no-secret-provided) is 401 and stores nothing', async () => {
      const { service, eventTypeId } = await linkedService();
      const eventType = harness.simulator.control.uiEditEventType(acme.teamId, eventTypeId, { price: 100 });
      const feedBefore = await harness.api(acme).companyAudit();

      const answer = await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(acme.id),
        triggerEvent: 'EVENT_TYPE_UPDATED',
        payload: { ...eventType },
      });

      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).error.code).toBe('WEBHOOK_UNAUTHENTICATED');
      expect(JSON.parse(answer.body).error.message).toContain('no-secret-provided');
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
      expect((await harness.api(acme).service(service.serviceId)).divergence).toBeNull();
    });

    it('a redelivered webhook (the same bytes) is stored once', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      const eventType = harness.simulator.control.uiEditEventType(acme.teamId, eventTypeId, { price: 4000 });
      const send = {
        url: harness.webhookUrl(acme.id),
        secret: acme.webhookSecret,
        triggerEvent: 'EVENT_TYPE_UPDATED',
        payload: { ...eventType },
        createdAt: '2026-03-01T09:00:00.000Z',
      };

      const first = await harness.simulator.control.sendWebhook(send);
      const again = await harness.simulator.control.sendWebhook(send);

      expect([first.status, again.status]).toEqual([200, 200]);
      const trail = await api.serviceAudit(service.serviceId);
      expect(count(trail, 'CalcomDiverged')).toBe(1);
      expect(count(await api.companyAudit(), 'CalcomDiverged')).toBeGreaterThanOrEqual(1);
      expect((await api.service(service.serviceId)).divergence?.fields).toEqual([
        {
          field: 'price',
          platform: { amount: 3500, currency: 'EUR' },
          calcom: { amount: 4000, currency: 'EUR' },
        },
      ]);
    });

    it('a late redelivery of an older webhook is stored once, after a newer one changed the divergence', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      const older = harness.simulator.control.uiEditEventType(acme.teamId, eventTypeId, { price: 4000 });
      const olderSend = {
        url: harness.webhookUrl(acme.id),
        secret: acme.webhookSecret,
        triggerEvent: 'EVENT_TYPE_UPDATED',
        payload: { ...older },
        createdAt: '2026-03-01T09:00:00.000Z',
      };
      expect((await harness.simulator.control.sendWebhook(olderSend)).status).toBe(200);
      expect((await harness.relayCalcomEdit(acme, eventTypeId, { price: 4500 })).status).toBe(200);
      const before = await api.serviceAudit(service.serviceId);

      const redelivered = await harness.simulator.control.sendWebhook(olderSend);

      expect(redelivered.status).toBe(200);
      expect(await api.serviceAudit(service.serviceId)).toEqual(before);
      expect(count(before, 'CalcomDiverged')).toBe(2);
    });

    it('PING answers 2xx and stores nothing', async () => {
      const feedBefore = await harness.api(acme).companyAudit();

      const answer = await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(acme.id),
        secret: acme.webhookSecret,
        triggerEvent: 'PING',
      });

      expect(answer.status).toBeGreaterThanOrEqual(200);
      expect(answer.status).toBeLessThan(300);
      expect(JSON.parse(answer.body)).toMatchObject({ received: true, trigger: 'PING', serviceId: null });
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
    });

    it('booking triggers are acknowledged and store nothing', async () => {
      const feedBefore = await harness.api(acme).companyAudit();

      const answer = await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(acme.id),
        secret: acme.webhookSecret,
        triggerEvent: 'BOOKING_CREATED',
        payload: { uid: 'booking-1', bookingId: 7, eventTypeId: 1001, status: 'ACCEPTED' },
      });

      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ trigger: 'BOOKING_CREATED', outcome: 'acknowledged' });
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
    });

    it('malformed JSON or an unknown shape, correctly signed, is 400 and stores nothing', async () => {
      const feedBefore = await harness.api(acme).companyAudit();
      const bodies = ['{"triggerEvent":"EVENT_TYPE_UPDATED",', '{"hello":"world"}', '[]'];

      for (const body of bodies) {
        const answer = await postWebhook(
          harness.webhookUrl(acme.id),
          body,
          signatureOf(acme.webhookSecret, body),
        );
        expectError(answer, 400, 'WEBHOOK_MALFORMED');
      }
      const eventTypeWithoutId = deliveryBody('EVENT_TYPE_UPDATED', { title: 'no id' });
      expectError(
        await postWebhook(
          harness.webhookUrl(acme.id),
          eventTypeWithoutId,
          signatureOf(acme.webhookSecret, eventTypeWithoutId),
        ),
        400,
        'WEBHOOK_MALFORMED',
      );
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
    });

    it('a body over 1 MiB is 413 and stores nothing', async () => {
      const feedBefore = await harness.api(acme).companyAudit();
      const body = deliveryBody('BOOKING_CREATED', { uid: 'x', notes: 'a'.repeat(1024 * 1024) });

      const answer = await postWebhook(
        harness.webhookUrl(acme.id),
        body,
        signatureOf(acme.webhookSecret, body),
      );

      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
      expect(await harness.api(acme).companyAudit()).toEqual(feedBefore);
    });

    it('a relayed deletion marks the service orphaned and never touches isActive', async () => {
      const api = harness.api(acme);
      const { service, eventTypeId } = await linkedService();
      harness.simulator.control.uiDeleteEventType(acme.teamId, eventTypeId);

      const answer = await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(acme.id),
        secret: acme.webhookSecret,
        triggerEvent: 'EVENT_TYPE_DELETED',
        payload: { id: eventTypeId },
      });

      expect(answer.status).toBe(200);
      const view = await api.service(service.serviceId);
      expect(view.sync.status).toBe('orphaned');
      expect(view.fields).toEqual(service.fields);
      expect(view.fields.isActive).toBe(true);
      const trail = await api.serviceAudit(service.serviceId);
      expect(trail.at(-1)).toMatchObject({ event: 'CalcomEventTypeMissing', actor: 'calcom:webhook' });
    });

    it('a company’s webhook never reaches another company’s service, even naming its event type', async () => {
      const { service, eventTypeId } = await linkedService();
      const trailBefore = await harness.api(acme).serviceAudit(service.serviceId);
      const eventType = harness.simulator.control.getEventType(acme.teamId, eventTypeId);

      const answer = await harness.simulator.control.sendWebhook({
        url: harness.webhookUrl(beta.id),
        secret: beta.webhookSecret,
        triggerEvent: 'EVENT_TYPE_UPDATED',
        payload: { ...eventType, title: 'Fremd', price: 1 },
      });

      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'unknown_event_type', serviceId: null });
      expect(await harness.api(acme).serviceAudit(service.serviceId)).toEqual(trailBefore);
    });
  });
}
