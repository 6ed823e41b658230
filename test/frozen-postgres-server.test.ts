import type { ServiceView } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, expectError, readResponse } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { PrivatePostgresCluster, privateClusterSkipReason } from './support/private-postgres-cluster.js';
import { serviceBody } from './support/service-bodies.js';
import type { StoreEngine } from './support/store-engines.js';
import { acme } from './support/tenants.js';

/**
 * The real server on a private PostgreSQL cluster of its own (never the shared one on 5432;
 * a name and port apart from the event store's frozen test, so both run in parallel), frozen
 * with SIGSTOP: TCP is accepted, nothing answers. Commands must answer 503 within the
 * configured store timeouts, readiness within about a second, and the server must recover
 * once the cluster thaws (docs/limits.md, docs/operations.md).
 */
const cluster = new PrivatePostgresCluster({ name: 'calsyncfreezesrv', port: 55434 });

const store = {
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 1_500,
  queryTimeoutMs: 2_000,
  idleInTransactionTimeoutMs: 1_500,
};
const readiness = { probeTimeoutMs: 1_000 };
/** A command's bound: the client-side query timeout plus scheduling slack on a busy machine. */
const commandBound = store.queryTimeoutMs + 2_000;
/** Readiness answers within its probe timeout, "about a second". */
const readinessBound = 1_500;
/** Every request is cut after this, so a hang fails the test instead of hanging it. */
const requestCut = 15_000;

/** The private cluster as a store engine for the harness: a schema of its own, dropped with the cluster. */
const privateEngine: StoreEngine = {
  name: 'postgres',
  skipReason: privateClusterSkipReason ?? null,
  async create() {
    return {
      env: { DATABASE_URL: cluster.connectionString, DATABASE_SCHEMA: 'calsync_frozen_server' },
      async dispose() {
        // The whole cluster is dropped in afterAll.
      },
    };
  },
};

interface Timed<T> extends ApiResponse<T> {
  elapsedMs: number;
}

/** One request with a bounded wait, and how long it took to answer. */
async function timed<T = unknown>(
  harness: CalsyncHarness,
  method: string,
  path: string,
  json?: unknown,
): Promise<Timed<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${acme.token}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const response = await fetch(`${harness.url}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(requestCut),
  });
  const read = await readResponse<T>(response);
  return { ...read, elapsedMs: Math.round(performance.now() - started) };
}

/** Store or driver wording that must never reach a client. */
const driverText =
  /select|insert|update|sql|postgres|\bpg\b|econn|timeout|query|connection|terminated|stack/i;

const measured: Record<string, number> = {};
/** What retrying each 503 registration answered after the thaw (201 written now, 409 written then). */
const retryOutcomes: number[] = [];

describe.skipIf(privateClusterSkipReason !== undefined)(
  `the server on a frozen PostgreSQL${privateClusterSkipReason ? ` (skipped: ${privateClusterSkipReason})` : ''}`,
  () => {
    let harness: CalsyncHarness | undefined;
    const created: ServiceView[] = [];
    /** Registrations that answered 503: their outcome is unknown. */
    const unknown: Array<Record<string, unknown>> = [];

    beforeAll(async () => {
      cluster.create();
      harness = await CalsyncHarness.start({
        engine: privateEngine,
        tag: 'frozen-pg-server',
        store,
        readiness,
      });
    });

    afterAll(async () => {
      // Thawed first: closing the server waits for its pool, which a frozen cluster never answers.
      if (cluster.isFrozen) cluster.thaw();
      await harness?.close().catch(() => undefined);
      cluster.drop();
      console.info(
        `frozen PostgreSQL, measured (ms): ${JSON.stringify(measured)}; retries: ${retryOutcomes.join(',')}`,
      );
    });

    it('registers a service and reports ready while the cluster answers', async () => {
      if (!harness) throw new Error('the server did not start');
      const ready = await timed(harness, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      const registered = await timed<ServiceView>(harness, 'POST', '/v1/services', serviceBody());
      expect(registered.status, registered.text).toBe(201);
      created.push(registered.body);
    });

    it('answers a registration 503 STORE_UNAVAILABLE within the store timeouts once the cluster freezes', async () => {
      if (!harness) throw new Error('the server did not start');
      cluster.freeze();
      const body = serviceBody();
      const response = await timed(harness, 'POST', '/v1/services', body);
      measured.registration = response.elapsedMs;
      const error = expectError(response, 503, 'STORE_UNAVAILABLE');
      expect(error.message).not.toMatch(driverText);
      expect(response.elapsedMs).toBeLessThan(commandBound);
      unknown.push(body);
    });

    it('answers readiness 503 within about a second while frozen', async () => {
      if (!harness) throw new Error('the server did not start');
      const response = await timed<{ ready: boolean; store: { reachable: boolean } }>(
        harness,
        'GET',
        '/health/ready',
      );
      measured.readiness = response.elapsedMs;
      expect(response.status).toBe(503);
      expect(response.body.ready).toBe(false);
      expect(response.body.store.reachable).toBe(false);
      expect(response.elapsedMs).toBeLessThan(readinessBound);
    });

    it('answers an audit read 503 STORE_UNAVAILABLE within the store timeouts while frozen', async () => {
      if (!harness) throw new Error('the server did not start');
      const [service] = created;
      if (!service) throw new Error('no service was registered');
      const response = await timed(harness, 'GET', `/v1/services/${service.serviceId}/audit`);
      measured.audit = response.elapsedMs;
      const error = expectError(response, 503, 'STORE_UNAVAILABLE');
      expect(error.message).not.toMatch(driverText);
      expect(response.elapsedMs).toBeLessThan(commandBound);
    });

    it('a second registration while frozen is also bounded (the pool does not pile up waits)', async () => {
      if (!harness) throw new Error('the server did not start');
      const body = serviceBody();
      const response = await timed(harness, 'POST', '/v1/services', body);
      measured.secondRegistration = response.elapsedMs;
      expectError(response, 503, 'STORE_UNAVAILABLE');
      expect(response.elapsedMs).toBeLessThan(commandBound);
      unknown.push(body);
    });

    it('is ready again soon after the cluster thaws, registers again, and its read model holds no duplicate', async () => {
      if (!harness) throw new Error('the server did not start');
      const server = harness;
      cluster.thaw();
      const thawed = performance.now();
      await expect
        .poll(async () => (await timed(server, 'GET', '/health/ready')).status, {
          timeout: 15_000,
          interval: 200,
        })
        .toBe(200);
      measured.readyAfterThaw = Math.round(performance.now() - thawed);

      const after = await timed<ServiceView>(server, 'POST', '/v1/services', serviceBody());
      measured.registrationAfterThaw = after.elapsedMs;
      expect(after.status, after.text).toBe(201);
      created.push(after.body);

      // A 503 means "outcome unknown": the append may have run once the cluster woke. Retrying
      // the same registration is safe: it is written now, or its slug is already taken.
      for (const body of unknown) {
        const retry = await timed<ServiceView>(server, 'POST', '/v1/services', body);
        retryOutcomes.push(retry.status);
        if (retry.status === 201) created.push(retry.body);
        else expectError(retry, 409, 'SLUG_CONFLICT');
      }

      const list = await timed<{ items: ServiceView[] }>(server, 'GET', '/v1/services');
      expect(list.status, list.text).toBe(200);
      const items = list.body.items;
      const ids = items.map((item) => item.serviceId);
      const slugs = items.map((item) => item.fields.slug);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(slugs).size).toBe(slugs.length);
      for (const service of created) expect(ids).toContain(service.serviceId);
      // Every registration of this file is there exactly once: 201s, and the unknown ones by now.
      for (const body of unknown) expect(slugs.filter((slug) => slug === body.slug)).toHaveLength(1);
    });
  },
);
