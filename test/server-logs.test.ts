import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalsyncHarness } from './support/calsync-harness.js';
import { LogCapture } from './support/log-capture.js';
import { serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme, beta, secretsOf } from './support/tenants.js';
import { deliveryBody, postWebhook, signatureOf } from './support/webhook-deliveries.js';

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`Logs ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;
    const logs = new LogCapture();

    beforeAll(async () => {
      // The most talkative level: whatever is logged at all is checked.
      harness = await CalsyncHarness.start({ engine, tag: 'logs', logLevel: 'trace', logDestination: logs });
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('never contain a bearer token, an API key, a webhook secret or a signature while requests run', async () => {
      const api = harness.api(acme);
      const eventType = harness.createEventType(acme);
      const service = await api.register(serviceBody({ calcom: { eventTypeId: eventType.id } }));
      await api.edit(service.serviceId, { durationMinutes: 45 });
      await harness.api(beta).get(`/v1/services/${service.serviceId}`);
      await api.as('a-token-nobody-configured').get('/v1/services');
      await harness.syncSettled();
      const relayed = await harness.relayCalcomEdit(acme, eventType.id, { price: 4100 });
      const body = deliveryBody('PING', { type: 'Test' });
      const signature = signatureOf(acme.webhookSecret, body);
      await postWebhook(harness.webhookUrl(acme.id), body, signature);
      await postWebhook(harness.webhookUrl(acme.id), body, signatureOf('guessed-secret', body));
      await harness.restart();
      await api.service(service.serviceId);

      expect(relayed.status).toBe(200);
      expect(logs.leaked([...secretsOf(), signature])).toEqual([]);
      // The check means something only if the requests were logged at all.
      const entries = logs.entries;
      expect(entries.filter((entry) => entry.msg === 'calsync listening')).toHaveLength(2);
      const completed = entries.filter((entry) => entry.msg === 'request completed');
      expect(completed.length).toBeGreaterThanOrEqual(8);
      expect(completed.every((entry) => typeof entry.reqId === 'string')).toBe(true);
      // Each line of a service's request names the company and the service (docs/operations.md).
      expect(completed).toContainEqual(
        expect.objectContaining({
          companyId: acme.id,
          serviceId: service.serviceId,
          res: { statusCode: 200 },
        }),
      );
      expect(completed).toContainEqual(
        expect.objectContaining({
          companyId: acme.id,
          serviceId: service.serviceId,
          res: { statusCode: 201 },
        }),
      );
    });
  });
}
