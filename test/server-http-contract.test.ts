import type { ServiceView } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme } from './support/tenants.js';

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(
    `The HTTP contract of docs/http-contract.md ${engineTitle(engine)}`,
    () => {
      let harness: CalsyncHarness;

      beforeAll(async () => {
        harness = await CalsyncHarness.start({ engine, tag: 'http' });
      });
      afterAll(async () => {
        await harness?.close();
      });

      it('answers 401 UNAUTHORIZED without a bearer token, with an unknown one, and with a malformed header', async () => {
        const api = harness.anonymous();
        const routes: Array<[string, string]> = [
          ['GET', '/v1/services'],
          ['POST', '/v1/services'],
          ['GET', '/v1/services/some-id'],
          ['PATCH', '/v1/services/some-id'],
          ['GET', '/v1/audit'],
        ];
        const before = await harness.api(acme).services();
        for (const [method, path] of routes) {
          const body = method === 'GET' ? {} : { json: serviceBody() };
          expectError(await api.request(method, path, body), 401, 'UNAUTHORIZED');
          expectError(
            await api.request(method, path, { ...body, token: 'not-a-known-token' }),
            401,
            'UNAUTHORIZED',
          );
          expectError(
            await api.request(method, path, { ...body, headers: { authorization: acme.token } }),
            401,
            'UNAUTHORIZED',
          );
        }
        expect(await harness.api(acme).services()).toEqual(before);
      });

      it('answers 400 VALIDATION_FAILED naming each bad field, and registers nothing', async () => {
        const api = harness.api(acme);
        const before = await api.services();

        const answer = await api.post('/v1/services', serviceBody({ durationMinutes: 0, slug: 'Not Kebab' }));

        const error = expectError(answer, 400, 'VALIDATION_FAILED');
        expect(error.message).toContain('durationMinutes');
        expect(error.message).toContain('slug');
        const paths = (error.details as { issues: Array<{ path: string }> }).issues.map(
          (issue) => issue.path,
        );
        expect(paths).toEqual(expect.arrayContaining(['body.durationMinutes', 'body.slug']));
        expect(await api.services()).toEqual(before);
      });

      it('rejects unknown fields, missing required fields and bad values on every command', async () => {
        const api = harness.api(acme);
        const service = await api.register(serviceBody());
        const path = `/v1/services/${service.serviceId}`;

        const cases = [
          { answer: await api.post('/v1/services', serviceBody({ colour: 'blue' })), field: 'colour' },
          {
            answer: await api.post('/v1/services', {
              name: 'Ohne Preis',
              slug: 'ohne-preis',
              durationMinutes: 30,
            }),
            field: 'price',
          },
          {
            answer: await api.patch(path, { price: { amount: 10, currency: 'EURO' } }),
            field: 'price.currency',
          },
          { answer: await api.patch(path, { isActive: 'yes' }), field: 'isActive' },
          { answer: await api.post(`${path}/link`, { eventTypeId: -1 }), field: 'eventTypeId' },
          {
            answer: await api.post(`${path}/divergence/resolve`, { fields: { name: 'maybe' } }),
            field: 'fields.name',
          },
          { answer: await api.get('/v1/services?status=happy'), field: 'status' },
          { answer: await api.get('/v1/audit?limit=0'), field: 'limit' },
        ];

        for (const { answer, field } of cases) {
          const error = expectError(answer, 400, 'VALIDATION_FAILED');
          expect(error.message).toContain(field);
        }
        expect(await api.service(service.serviceId)).toEqual(service);
      });

      it('answers 415 for a text/plain body', async () => {
        const answer = await harness
          .api(acme)
          .request('POST', '/v1/services', { raw: JSON.stringify(serviceBody()), contentType: 'text/plain' });

        expectError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
      });

      it('answers 413 for a body over 1 MiB', async () => {
        const answer = await harness
          .api(acme)
          .post('/v1/services', serviceBody({ description: 'x'.repeat(1024 * 1024 + 1) }));

        expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
      });

      it('answers 400 INVALID_JSON for a body that is not JSON', async () => {
        const answer = await harness
          .api(acme)
          .request('POST', '/v1/services', { raw: '{"name": "Schnitt",', contentType: 'application/json' });

        expectError(answer, 400, 'INVALID_JSON');
      });

      it('answers an unknown route and an unknown service with the 404 envelope', async () => {
        expectError(await harness.anonymous().get('/no/such/route'), 404, 'NOT_FOUND');
        expectError(await harness.api(acme).get('/v1/nothing-here'), 404, 'NOT_FOUND');
        expectError(await harness.api(acme).get('/v1/services/does-not-exist'), 404, 'SERVICE_NOT_FOUND');
        expectError(
          await harness.api(acme).patch('/v1/services/does-not-exist', { name: 'x' }),
          404,
          'SERVICE_NOT_FOUND',
        );
      });

      it('answers 400 INVALID_CURSOR for an audit cursor that is not a position of the feed', async () => {
        expectError(await harness.api(acme).get('/v1/audit?after=not-a-position'), 400, 'INVALID_CURSOR');
      });

      it('gives every response a request id, and echoes the one a client sends', async () => {
        const own = await harness
          .api(acme)
          .get('/v1/services', { headers: { 'x-request-id': 'trace-me-123' } });
        const generated = await harness.anonymous().get('/no/such/route');

        expect(own.headers.get('x-request-id')).toBe('trace-me-123');
        expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('read-your-writes: a GET right after each command reflects it', async () => {
        const api = harness.api(acme);
        const eventType = harness.createEventType(acme);

        const registered = await api.register(serviceBody({ category: 'Neu' }));
        expect(await api.service(registered.serviceId)).toEqual(registered);
        expect((await api.services()).find((view) => view.serviceId === registered.serviceId)).toEqual(
          registered,
        );

        const edited = await api.edit(registered.serviceId, { category: 'Alt', bufferAfterMinutes: 10 });
        const afterEdit = await api.service(registered.serviceId);
        expect(afterEdit.fields.category).toBe('Alt');
        expect(afterEdit.fields.bufferAfterMinutes).toBe(10);
        expect(afterEdit.revision).toBeGreaterThanOrEqual(edited.revision);

        const linked = await api.link(registered.serviceId, eventType.id);
        const afterLink = await api.service(registered.serviceId);
        expect(afterLink.calcom).toEqual(linked.calcom);
        expect(afterLink.revision).toBeGreaterThanOrEqual(linked.revision);

        const synced = expectStatus(
          await api.post<ServiceView>(`/v1/services/${registered.serviceId}/sync`),
          202,
        );
        expect((await api.service(registered.serviceId)).revision).toBeGreaterThanOrEqual(synced.revision);
        const trail = await api.serviceAudit(registered.serviceId);
        expect(trail.map((entry) => entry.event)).toEqual(
          expect.arrayContaining(['ServiceRegistered', 'ServiceEdited', 'CalcomLinked', 'SyncRequested']),
        );
        const feed = await api.companyAudit();
        expect(
          feed.filter((entry) => entry.serviceId === registered.serviceId).slice(0, trail.length),
        ).toEqual(trail.slice(0, feed.filter((entry) => entry.serviceId === registered.serviceId).length));
      });

      it('pages the company audit feed with the cursor it hands out', async () => {
        const api = harness.api(acme);
        await api.register(serviceBody());
        await api.register(serviceBody());
        const whole = await api.companyAudit();

        const first = expectStatus(
          await api.get<{ items: unknown[]; next: string | null }>('/v1/audit?limit=1'),
          200,
        );
        const second = expectStatus(
          await api.get<{ items: unknown[]; next: string | null }>(
            `/v1/audit?limit=1&after=${encodeURIComponent(first.next ?? '')}`,
          ),
          200,
        );

        expect([...first.items, ...second.items]).toEqual(whole.slice(0, 2));
      });

      it('reports liveness and readiness with the store it uses', async () => {
        const live = await harness.anonymous().get('/health/live');
        const ready = await harness
          .anonymous()
          .get<{ ready: boolean; store: { engine: string } }>('/health/ready');

        expect(live.status).toBe(200);
        expect(expectStatus(ready, 200)).toMatchObject({ ready: true, store: { reachable: true } });
        expect(ready.body.store.engine).toMatch(engine.name === 'embedded' ? /pglite/i : /postgres/i);
      });

      it('serves its OpenAPI document and the viewer', async () => {
        const document = await harness
          .anonymous()
          .get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
        const viewer = await fetch(`${harness.url}/docs`);

        expect(expectStatus(document, 200).openapi).toMatch(/^3\./);
        expect(viewer.status).toBe(200);
        expect(await viewer.text()).toContain('<html');
      });
    },
  );
}
