import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Calsync } from '../src/calsync.js';
import { startCalsyncUnderTest } from './calsync-under-test.js';

interface Operation {
  security?: unknown[];
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/** Every route of docs/http-contract.md with the status it answers on success (the document and its viewer aside). */
const serviceRoutes: Array<[method: string, path: string, success: string]> = [
  ['post', '/v1/services', '201'],
  ['get', '/v1/services', '200'],
  ['get', '/v1/services/{id}', '200'],
  ['patch', '/v1/services/{id}', '200'],
  ['post', '/v1/services/{id}/link', '200'],
  ['post', '/v1/services/{id}/unlink', '200'],
  ['post', '/v1/services/{id}/sync', '202'],
  ['post', '/v1/services/{id}/divergence/resolve', '200'],
  ['post', '/v1/services/{id}/sync-status/reset', '202'],
  ['get', '/v1/services/{id}/audit', '200'],
  ['get', '/v1/audit', '200'],
];
const reconciliationRoutes: Array<[method: string, path: string, success: string]> = [
  ['post', '/v1/reconciliations', '202'],
  ['get', '/v1/reconciliations/{runId}', '200'],
];
const importCandidateRoutes: Array<[method: string, path: string, success: string]> = [
  ['get', '/v1/import-candidates', '200'],
  ['post', '/v1/import-candidates/{eventTypeId}/import', '201'],
];
const operationsRoutes: Array<[method: string, path: string, success: string]> = [
  ['post', '/webhooks/calcom/{companyId}', '200'],
  ['get', '/health/live', '200'],
  ['get', '/health/ready', '200'],
];

describe('The OpenAPI document', () => {
  let calsync: Calsync;
  let app: FastifyInstance;
  let document: OpenApiDocument;

  beforeAll(async () => {
    const started = await startCalsyncUnderTest();
    calsync = started.calsync;
    app = started.app;
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json<OpenApiDocument>();
  });
  afterAll(async () => {
    await calsync?.stop();
  });

  it('validates as OpenAPI 3', async () => {
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Record<string, unknown>,
    );

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\./);
  });

  const expectRoute = (method: string, path: string, success: string) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
    expect(Object.keys(operation?.responses ?? {})).toContain(success);
  };

  it.each(serviceRoutes)('lists %s %s, answering %s', expectRoute);
  it.each(operationsRoutes)('lists %s %s, answering %s', expectRoute);
  it.each(reconciliationRoutes)('lists %s %s, answering %s', expectRoute);
  it.each(importCandidateRoutes)('lists %s %s, answering %s', expectRoute);

  it('documents the error envelope on every /v1 operation: 401 without a valid token', () => {
    for (const [path, operations] of Object.entries(document.paths).filter(([path]) =>
      path.startsWith('/v1/'),
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses ?? {}), `${method} ${path}`).toContain('401');
      }
    }
  });

  it('asks for a bearer token on /v1 only: webhooks are signed and health checks are open', () => {
    for (const [method, path] of operationsRoutes) {
      expect(document.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([]);
    }
    expect(document.paths['/v1/services']?.post?.security).toBeUndefined();
    expect((document as { security?: unknown }).security).toEqual([{ bearer: [] }]);
  });

  it('documents why a pending service waits: sync.waiting with its reason, end and the capped reset', () => {
    const schemas = (document as { components?: { schemas?: Record<string, unknown> } }).components?.schemas;
    const view = schemas?.ServiceView as
      | {
          properties?: {
            sync?: { properties?: Record<string, { anyOf?: unknown[]; properties?: unknown }> };
          };
        }
      | undefined;
    const sync = view?.properties?.sync?.properties;
    expect(sync?.nextRetryAt).toBeDefined();
    const waiting = JSON.stringify(sync?.waiting);
    for (const field of ['reason', 'until', 'message', 'advertisedResetMs', 'appliedResetMs', 'capped']) {
      expect(waiting).toContain(`"${field}"`);
    }
    expect(waiting).toContain('rate_limited');
  });

  it('serves the document’s viewer', async () => {
    const viewer = await app.inject({ method: 'GET', url: '/docs' });
    const page =
      viewer.statusCode === 302
        ? await app.inject({ method: 'GET', url: viewer.headers.location ?? '' })
        : viewer;

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
  });
});
