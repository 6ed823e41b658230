import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorKeys, readResponse } from '../support/api-client.js';
import { CalsyncHarness } from '../support/calsync-harness.js';
import { type RawAnswer, sendRaw } from '../support/raw-http.js';
import { serviceBody } from '../support/service-bodies.js';
import { engineTitle, storeEngines } from '../support/store-engines.js';
import { acme, beta, type Tenant } from '../support/tenants.js';
import { signatureOf } from '../support/webhook-deliveries.js';
import { arbitraryOf, type Components, type JsonSchema } from './json-schema-arbitrary.js';
import {
  badIfMatchValues,
  badPathValues,
  badQueryValues,
  bodyMutations,
  type WireBody,
} from './mutations.js';
import { type Operation, operationName, operationsOf } from './openapi-operations.js';

/**
 * The HTTP edge under fuzzing (issue 10, docs/http-contract.md): every operation of the server's own
 * OpenAPI document, valid requests generated from its schemas and then broken class by class. For
 * every answer: no 5xx; every non-2xx is JSON in the error envelope; a rejected request appends no
 * event; and the store is healthy afterwards. Seeds are fixed, so a failure reproduces.
 */

/** Companies of their own, so the per-token rate limit of one never throttles the suite. */
const fuzzTenants: Tenant[] = [
  acme,
  {
    ...beta,
    eventTypes: [
      ...beta.eventTypes,
      { id: 2002, title: 'Fußpflege', slug: 'fusspflege', lengthInMinutes: 45 },
    ],
  },
  ...[3, 4, 5, 6].map((n) => ({
    id: `fuzz${n}`,
    teamId: 50 + n,
    token: `fuzz${n}-bearer-${n}c0ffee${n}`,
    apiKey: `cal_live_fuzz${n}_key${n}`,
    webhookSecret: `fuzz${n}-webhook-secret-${n}`,
    eventTypes: [
      { id: 5000 + n * 10 + 1, title: 'Haarschnitt', slug: `haarschnitt-${n}`, lengthInMinutes: 30 },
      { id: 5000 + n * 10 + 2, title: 'Färben', slug: `faerben-${n}`, lengthInMinutes: 60 },
      { id: 5000 + n * 10 + 3, title: 'Waschen', slug: `waschen-${n}`, lengthInMinutes: 15 },
    ],
  })),
];

/** Values only the running system knows, per company: what valid path parameters point at. */
interface Fixture {
  tenant: Tenant;
  serviceId: string;
  runId: string;
  importableEventTypeId: number;
}

/** One request as sent, for the failure message. */
interface Sent {
  operation: string;
  mutation: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * A Cal.com delivery as the webhook route reads it. The document cannot describe it (the route
 * takes raw bytes, signed), so its schema is written here, in the same subset.
 */
function deliverySchema(tenant: Tenant): JsonSchema {
  return {
    type: 'object',
    required: ['triggerEvent', 'createdAt', 'payload'],
    additionalProperties: false,
    properties: {
      triggerEvent: { enum: ['EVENT_TYPE_UPDATED', 'EVENT_TYPE.UPDATED', 'BOOKING_CREATED', 'PING'] },
      createdAt: { type: 'string', format: 'date-time' },
      // An event type as Cal.com API v2 sends it (packages/calcom/src/event-type-schema.ts).
      payload: {
        type: 'object',
        required: [
          'id',
          'title',
          'slug',
          'description',
          'lengthInMinutes',
          'hidden',
          'beforeEventBuffer',
          'afterEventBuffer',
          'minimumBookingNotice',
          'disableGuests',
          'confirmationPolicy',
          'price',
          'currency',
        ],
        properties: {
          id: { enum: tenant.eventTypes.map((eventType) => eventType.id) },
          title: { type: 'string', minLength: 1, maxLength: 60 },
          slug: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', maxLength: 40 },
          description: { type: 'string', maxLength: 60 },
          lengthInMinutes: { type: 'integer', minimum: 1, maximum: 600 },
          hidden: { type: 'boolean' },
          beforeEventBuffer: { type: 'integer', minimum: 0, maximum: 120 },
          afterEventBuffer: { type: 'integer', minimum: 0, maximum: 120 },
          minimumBookingNotice: { type: 'integer', minimum: 0, maximum: 1440 },
          disableGuests: { type: 'boolean' },
          confirmationPolicy: {
            type: 'object',
            required: ['disabled'],
            properties: { disabled: { const: true } },
          },
          price: { type: 'integer', minimum: 0, maximum: 10_000 },
          currency: { enum: ['eur', 'usd'] },
          teamId: { const: tenant.teamId },
        },
      },
    },
  };
}

/** The run id of a started reconciliation run, when the answer is one. */
function runIdOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { runId?: unknown } | null;
    return typeof body?.runId === 'string' ? body.runId : undefined;
  } catch {
    return undefined;
  }
}

function isWebhook(operation: Operation): boolean {
  return operation.path.startsWith('/webhooks/');
}

function excerpt(text: string | Buffer | undefined, length = 300): string {
  if (text === undefined) return '(none)';
  const value = typeof text === 'string' ? text : text.toString('latin1');
  const shown = JSON.stringify(value.slice(0, length));
  return value.length > length ? `${shown}… (${value.length} chars)` : shown;
}

/** What a client must never see in an error: SQL, driver and store errors, stacks, secrets. */
const INTERNALS: RegExp[] = [
  /\b(INSERT\s+INTO|SELECT\s+.+\s+FROM|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b/i,
  /EVENTSTORE\./,
  /"cause"/,
  /\bat \S+ \(\S+:\d+:\d+\)/,
  /invalid byte sequence|unsupported Unicode escape/i,
  ...fuzzTenants
    .flatMap((tenant) => [tenant.token, tenant.apiKey, tenant.webhookSecret])
    .map((secret) => new RegExp(secret)),
];

/** What is wrong with one answer by the contract; empty when nothing is. */
function contractProblems(status: number, contentType: string | undefined, text: string): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`answered ${status} (a 5xx)`);
  if (status >= 200 && status < 300) return problems;
  const leak = INTERNALS.find((pattern) => pattern.test(text));
  if (leak) problems.push(`the answer shows internals (${leak})`);
  if (!contentType?.toLowerCase().startsWith('application/json')) {
    problems.push(`content-type is ${contentType ?? '(none)'}, not application/json`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push('the body is not JSON');
    return problems;
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (
    typeof body !== 'object' ||
    body === null ||
    Object.keys(body).join() !== 'error' ||
    typeof error !== 'object' ||
    error === null ||
    typeof error.code !== 'string' ||
    error.code.length === 0 ||
    typeof error.message !== 'string' ||
    error.message.length === 0 ||
    Object.keys(error).some((key) => !errorKeys(status).includes(key))
  ) {
    problems.push('the body is not the error envelope {error:{code,message,details?}}');
  }
  return problems;
}

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`The HTTP edge under fuzzing ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;
    let operations: Operation[];
    let components: Components;
    const fixtures: Fixture[] = [];

    beforeAll(async () => {
      harness = await CalsyncHarness.start({ engine, tag: 'fuzz', tenants: fuzzTenants });
      const document = await fetch(`${harness.url}/openapi.json`).then((response) => response.json());
      ({ operations, components } = operationsOf(document));
      for (const tenant of fuzzTenants) {
        const [linked, importable] = tenant.eventTypes;
        if (!linked || !importable) throw new Error(`tenant ${tenant.id} needs two event types`);
        const service = await harness
          .api(tenant)
          .register(serviceBody({ calcom: { eventTypeId: linked.id } }));
        const run = await harness
          .api(tenant)
          .post<{ runId: string }>('/v1/reconciliations', { mode: 'check' });
        if (run.status !== 202 && run.status !== 200 && run.status !== 201) {
          throw new Error(`a reconciliation run did not start: ${run.status} ${run.text}`);
        }
        await runFinished(tenant, run.body.runId);
        fixtures.push({
          tenant,
          serviceId: service.serviceId,
          runId: run.body.runId,
          importableEventTypeId: importable.id,
        });
      }
      await settled();
    }, 120_000);

    afterAll(async () => {
      await harness?.close();
    });

    /** Waits (bounded) until a reconciliation run of the tenant is no longer running. */
    async function runFinished(tenant: Tenant, runId: string): Promise<void> {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const view = await harness.api(tenant).get<{ state?: string }>(`/v1/reconciliations/${runId}`);
        if (view.status !== 200 || view.body.state !== 'running') return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`reconciliation run ${runId} still running after 5 s`);
    }

    /** The outbound sync settled, bounded: a server that never settles is a finding, not a hang. */
    async function settled(): Promise<string | null> {
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve('the sync did not settle within 10 s'), 10_000).unref(),
      );
      return Promise.race([harness.syncSettled().then(() => null), timeout]).catch(
        (error: unknown) => `the sync failed to settle: ${String(error)}`,
      );
    }

    /** The store's head position before a request (read straight from the store). */
    async function head(): Promise<string | undefined> {
      return (await harness.server.calsync.store.headPosition()).unwrapOr(undefined);
    }

    /**
     * What was appended after `before`, other than the status projection's own snapshots (written
     * on a timer, whatever the requests do): the events a request must not have caused.
     */
    async function appendedSince(before: string | undefined): Promise<string | null> {
      const read = await harness.server.calsync.store.readAll({
        ...(before ? { after: before } : {}),
        maxCount: 100,
      });
      if (read.isErr()) return `unreadable store (${read.error.code})`;
      const caused = read.value.filter((event) => !event.streamName.startsWith('projection-'));
      return caused.length === 0
        ? null
        : caused.map((event) => `${event.type} on ${event.streamName}`).join(', ');
    }

    function pathOf(
      operation: Operation,
      fixture: Fixture,
      override?: { name: string; raw: string },
    ): string {
      return operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
        if (override?.name === name) return override.raw;
        if (name === 'id') return encodeURIComponent(fixture.serviceId);
        if (name === 'runId') return encodeURIComponent(fixture.runId);
        if (name === 'eventTypeId') return String(fixture.importableEventTypeId);
        if (name === 'companyId') return fixture.tenant.id;
        throw new Error(`no fixture for the path parameter ${name} of ${operationName(operation)}`);
      });
    }

    function headersOf(
      operation: Operation,
      fixture: Fixture,
      body: WireBody | undefined,
    ): Record<string, string> {
      const headers: Record<string, string> = {};
      if (operation.bearer) headers.authorization = `Bearer ${fixture.tenant.token}`;
      if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
      // Signed with the company's secret, so the mutation reaches what comes after the signature check.
      if (isWebhook(operation) && body)
        headers['x-cal-signature-256'] = signatureOf(fixture.tenant.webhookSecret, body.raw);
      return headers;
    }

    /** The schema of a valid body of the operation for the company, and the values only it knows. */
    function validBody(
      operation: Operation,
      fixture: Fixture,
    ): { schema: JsonSchema; arbitrary: fc.Arbitrary<unknown> } {
      if (isWebhook(operation)) {
        const schema = deliverySchema(fixture.tenant);
        return { schema, arbitrary: arbitraryOf(schema, components) };
      }
      const declared: JsonSchema = operation.body ?? {
        type: 'object',
        properties: {},
        additionalProperties: false,
      };
      // An optional body (an object or null) is mutated as the object: the mutations work on fields.
      const schema: JsonSchema =
        (declared.anyOf ?? declared.oneOf)?.find((option) => option.type === 'object') ?? declared;
      const overrides: Record<string, fc.Arbitrary<unknown>> = {};
      if (operation.path.endsWith('/link')) {
        overrides.eventTypeId = fc.constantFrom(
          ...fixture.tenant.eventTypes.map((eventType) => eventType.id),
        );
      }
      if (operation.method === 'POST' && operation.path === '/v1/services') {
        // A unique slug keeps a valid registration valid (a taken slug is a 409, not a validation case).
        overrides.slug = fc.uuid().map((uuid) => `fuzz-${uuid}`);
        overrides.calcom = fc.constant({ create: true });
      }
      return { schema, arbitrary: arbitraryOf(schema, components, overrides) };
    }

    /**
     * Sends one request and returns what is wrong with its answer by the contract (empty when
     * nothing is): the status, the error envelope, and for a rejected request the store's head.
     */
    async function exchange(sent: Sent): Promise<string | null> {
      const before = await head();
      let status: number;
      let contentType: string | undefined;
      let text: string;
      try {
        const response = await fetch(sent.url, {
          method: sent.method,
          headers: sent.headers,
          body: sent.body,
          signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
        });
        const answer = await readResponse(response);
        status = answer.status;
        contentType = answer.headers.get('content-type') ?? undefined;
        text = answer.text;
      } catch (error) {
        return describeFailure(sent, 0, undefined, '', [`no answer: ${String(error).slice(0, 200)}`]);
      }
      return judge(sent, before, status, contentType, text);
    }

    async function judge(
      sent: Sent,
      before: string | undefined,
      status: number,
      contentType: string | undefined,
      text: string,
    ): Promise<string | null> {
      const problems = contractProblems(status, contentType, text);
      if (process.env.CALSYNC_FUZZ_TRACE) {
        // Every exchange, one line each: what the suite covered, for a person reading a run.
        console.log(`${status} ${sent.operation} [${sent.mutation}] ${excerpt(text, 120)}`);
      }
      if (status >= 400 && status < 500) {
        const appended = await appendedSince(before);
        if (appended) problems.push(`a rejected request appended events (${appended})`);
      } else if (status >= 200 && status < 300) {
        const unsettled = await settled();
        if (unsettled) problems.push(unsettled);
        const run = runIdOf(text);
        const fixture = fixtures.find((candidate) =>
          sent.headers.authorization?.endsWith(candidate.tenant.token),
        );
        if (run && fixture && sent.url.endsWith('/v1/reconciliations'))
          await runFinished(fixture.tenant, run);
      }
      return problems.length === 0 ? null : describeFailure(sent, status, contentType, text, problems);
    }

    function describeFailure(
      sent: Sent,
      status: number,
      contentType: string | undefined,
      text: string,
      problems: string[],
    ): string {
      const url = sent.url.replace(harness.url, '');
      return [
        `${sent.operation} [${sent.mutation}] ${sent.method} ${excerpt(url, 120)}`,
        `  sent: ${excerpt(sent.body, 160)} content-type ${sent.headers['content-type'] ?? '(none)'}`,
        `  got: ${status} ${contentType ?? '(no content-type)'} ${excerpt(text)}`,
        `  wrong: ${problems.join('; ')}`,
      ].join('\n');
    }

    /**
     * Runs one property per operation with a fixed seed; each failing operation contributes the
     * first failure fast-check found (no shrinking: the requests are slow, the labels say enough).
     */
    async function fuzz(
      mutation: string,
      seed: number,
      targets: Operation[],
      numRuns: number,
      requestOf: (operation: Operation, fixture: Fixture) => fc.Arbitrary<Sent>,
    ): Promise<string[]> {
      const failures: string[] = [];
      for (const [index, operation] of targets.entries()) {
        let failure: string | null = null;
        const request = fc.constantFrom(...fixtures).chain((fixture) => requestOf(operation, fixture));
        try {
          await fc.assert(
            fc.asyncProperty(request, async (sent) => {
              failure = await exchange(sent);
              if (failure) throw new Error(failure);
            }),
            { seed: seed + index, numRuns, endOnFailure: true },
          );
        } catch (error) {
          failures.push(
            failure ?? `${operationName(operation)} [${mutation}]: ${String(error).slice(0, 500)}`,
          );
        }
      }
      return failures;
    }

    function bodyRequest(mutation: string) {
      return (operation: Operation, fixture: Fixture): fc.Arbitrary<Sent> => {
        const { schema, arbitrary } = validBody(operation, fixture);
        const mutate = bodyMutations[mutation];
        if (!mutate) throw new Error(`no body mutation ${mutation}`);
        return arbitrary.chain((valid) =>
          mutate(valid as never, schema, components).map((body) => ({
            operation: operationName(operation),
            mutation: `${mutation}: ${body.label}`,
            method: operation.method,
            url: `${harness.url}${pathOf(operation, fixture)}`,
            headers: headersOf(operation, fixture, body),
            body: body.raw,
          })),
        );
      };
    }

    const bodyTargets = () => operations.filter((operation) => BODY_METHODS.has(operation.method));
    const expectNoFailures = (failures: string[]) =>
      expect(failures.length, `${failures.length} failing:\n\n${failures.join('\n\n')}\n`).toBe(0);

    it('answers valid requests generated from the OpenAPI schemas without a 5xx', async () => {
      expect(operations.length).toBeGreaterThanOrEqual(15);
      const failures = await fuzz('valid', 1_000, operations, 5, (operation, fixture) => {
        const body = BODY_METHODS.has(operation.method)
          ? validBody(operation, fixture).arbitrary
          : fc.constant(undefined);
        return body.map((valid) => {
          const wire: WireBody | undefined =
            valid === undefined || (!operation.body && !isWebhook(operation))
              ? undefined
              : { raw: JSON.stringify(valid), contentType: 'application/json', label: 'valid' };
          return {
            operation: operationName(operation),
            mutation: 'valid',
            method: operation.method,
            url: `${harness.url}${pathOf(operation, fixture)}`,
            headers: headersOf(operation, fixture, wire),
            ...(wire ? { body: wire.raw } : {}),
          };
        });
      });
      expectNoFailures(failures);
    }, 120_000);

    const bodyClasses: Array<[string, number, number]> = [
      ['wrong types', 2_000, 6],
      ['missing required fields', 3_000, 5],
      ['extra fields', 4_000, 5],
      ['wrong content types', 5_000, 6],
      ['invalid JSON', 6_000, 8],
      ['huge strings', 7_000, 3],
    ];
    for (const [mutation, seed, numRuns] of bodyClasses) {
      it(`rejects bodies with ${mutation} in the error envelope, appending nothing`, async () => {
        expectNoFailures(await fuzz(mutation, seed, bodyTargets(), numRuns, bodyRequest(mutation)));
      }, 120_000);
    }

    it('rejects bad path parameters (too long, bad percent-encoding, NUL, surrogates) in the error envelope', async () => {
      const targets = operations.filter((operation) =>
        operation.parameters.some((parameter) => parameter.in === 'path'),
      );
      const failures = await fuzz('path parameters', 8_000, targets, 8, (operation, fixture) => {
        const names = operation.parameters
          .filter((parameter) => parameter.in === 'path')
          .map((parameter) => parameter.name);
        return fc.tuple(fc.constantFrom(...names), badPathValues).map(([name, raw]) => {
          const wire: WireBody | undefined = BODY_METHODS.has(operation.method)
            ? { raw: '{}', contentType: 'application/json', label: '{}' }
            : undefined;
          return {
            operation: operationName(operation),
            mutation: `path parameters: ${name} := ${raw.slice(0, 30)}${raw.length > 30 ? `… (${raw.length})` : ''}`,
            method: operation.method,
            url: `${harness.url}${pathOf(operation, fixture, { name, raw })}`,
            headers: headersOf(operation, fixture, wire),
            ...(wire ? { body: wire.raw } : {}),
          };
        });
      });
      expectNoFailures(failures);
    }, 120_000);

    it('rejects bad query values (declared and unknown parameters) in the error envelope', async () => {
      const targets = operations.filter((operation) => operation.method === 'GET');
      const failures = await fuzz('query values', 9_000, targets, 6, (operation, fixture) => {
        const names = [
          ...operation.parameters
            .filter((parameter) => parameter.in === 'query')
            .map((parameter) => parameter.name),
          'unknown',
        ];
        return fc
          .tuple(fc.constantFrom(...names), badQueryValues, fc.boolean())
          .map(([name, value, repeated]) => {
            const query = repeated ? `${name}=${value}&${name}=${value}` : `${name}=${value}`;
            return {
              operation: operationName(operation),
              mutation: `query values: ${name}=${value.slice(0, 30)}${value.length > 30 ? `… (${value.length})` : ''}${repeated ? ' (twice)' : ''}`,
              method: operation.method,
              url: `${harness.url}${pathOf(operation, fixture)}?${query}`,
              headers: headersOf(operation, fixture, undefined),
            };
          });
      });
      expectNoFailures(failures);
    }, 120_000);

    it('answers methods a route does not have, and paths no route has, in the error envelope', async () => {
      const failures = await fuzz('unknown methods and paths', 14_000, operations, 4, (operation, fixture) =>
        fc
          .tuple(
            fc.constantFrom('DELETE', 'PUT', 'OPTIONS', 'PROPFIND', operation.method),
            fc.constantFrom('', '/', '/x', '//', '/..', '?', '#frag', '/%2e%2e'),
          )
          .filter(([method, suffix]) => method !== operation.method || suffix !== '')
          .map(([method, suffix]) => ({
            operation: operationName(operation),
            mutation: `unknown methods and paths: ${method} …${suffix}`,
            method,
            url: `${harness.url}${pathOf(operation, fixture)}${suffix}`,
            headers: headersOf(operation, fixture, undefined),
          })),
      );
      expectNoFailures(failures);
    }, 120_000);

    it('rejects bad If-Match headers in the error envelope, appending nothing', async () => {
      const targets = operations.filter((operation) =>
        operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'if-match'),
      );
      expect(targets.length).toBeGreaterThan(0);
      const failures = await fuzz('If-Match', 10_000, targets, 10, (operation, fixture) =>
        fc.tuple(validBody(operation, fixture).arbitrary, badIfMatchValues).map(([valid, ifMatch]) => {
          const wire: WireBody = {
            raw: JSON.stringify(valid),
            contentType: 'application/json',
            label: 'valid',
          };
          return {
            operation: operationName(operation),
            mutation: `If-Match: ${JSON.stringify(ifMatch.slice(0, 30))}${ifMatch.length > 30 ? ` (${ifMatch.length})` : ''}`,
            method: operation.method,
            url: `${harness.url}${pathOf(operation, fixture)}`,
            headers: { ...headersOf(operation, fixture, wire), 'if-match': ifMatch },
            body: wire.raw,
          };
        }),
      );
      expectNoFailures(failures);
    }, 120_000);

    it('rejects webhook deliveries without a valid signature in the error envelope, appending nothing', async () => {
      const targets = operations.filter(isWebhook);
      expect(targets.length).toBe(1);
      const failures = await fuzz('webhook signature', 11_000, targets, 8, (operation, fixture) =>
        fc
          .tuple(
            validBody(operation, fixture).arbitrary,
            fc.constantFrom<string | undefined>(
              undefined,
              '',
              'deadbeef',
              'x'.repeat(64),
              'other-tenant',
              'sha256=',
              'uppercase',
            ),
          )
          .map(([valid, kind]) => {
            const raw = JSON.stringify(valid);
            const other = fuzzTenants.find((tenant) => tenant.id !== fixture.tenant.id) ?? beta;
            const signature =
              kind === 'other-tenant'
                ? signatureOf(other.webhookSecret, raw)
                : kind === 'sha256='
                  ? `sha256=${signatureOf(fixture.tenant.webhookSecret, raw)}`
                  : kind === 'uppercase'
                    ? `${signatureOf(fixture.tenant.webhookSecret, raw).slice(0, 63)}Z`
                    : kind;
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (signature !== undefined) headers['x-cal-signature-256'] = signature;
            return {
              operation: operationName(operation),
              mutation: `webhook signature: ${kind ?? '(none)'}`,
              method: operation.method,
              url: `${harness.url}${pathOf(operation, fixture)}`,
              headers,
              body: raw,
            };
          }),
      );
      expectNoFailures(failures);
    }, 120_000);

    it('answers broken framing on a raw connection in the error envelope', async () => {
      const failures: string[] = [];
      for (const [index, operation] of operations.entries()) {
        const fixture = fixtures[index % fixtures.length] as Fixture;
        const path = pathOf(operation, fixture);
        const auth = operation.bearer ? `Authorization: Bearer ${fixture.tenant.token}\r\n` : '';
        const start = `${operation.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`;
        const body = '{"mode":"check"}';
        const cases: Array<[string, string | Buffer, boolean]> = [
          ['garbage request line', 'HELLO WORLD\r\n\r\n', false],
          ['header without colon', `${start}BrokenHeaderLine\r\n\r\n`, false],
          [
            'Content-Length not a number',
            `${start}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n${body}`,
            false,
          ],
          [
            'negative Content-Length',
            `${start}Content-Type: application/json\r\nContent-Length: -5\r\n\r\n${body}`,
            false,
          ],
          [
            'two different Content-Lengths',
            `${start}Content-Type: application/json\r\nContent-Length: 3\r\nContent-Length: 16\r\n\r\n${body}`,
            false,
          ],
          [
            'Content-Length with chunked',
            `${start}Content-Type: application/json\r\nContent-Length: 16\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
            false,
          ],
          [
            'bad chunk size',
            `${start}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
            false,
          ],
          [
            'truncated chunked body, then the client went away',
            `${start}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"mo`,
            true,
          ],
          [
            'body shorter than Content-Length, then the client went away',
            `${start}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n${body}`,
            true,
          ],
          ['unknown HTTP version', `${operation.method} ${path} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`, false],
          [
            'control character in the path',
            `${operation.method} ${path}\u0001x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
            false,
          ],
          ['NUL in a header value', `${start}X-Test: a\u0000b\r\n\r\n`, false],
          ['header line folded (obs-fold)', `${start}X-Test: a\r\n folded\r\n\r\n`, false],
        ];
        // The request line is garbage whatever the route: sent once, not once per operation.
        if (index > 0) cases.shift();
        for (const [label, bytes, halfClose] of cases) {
          const sent: Sent = {
            operation: operationName(operation),
            mutation: `broken framing: ${label}`,
            method: operation.method,
            url: `${harness.url}${path}`,
            headers: {},
            body: bytes,
          };
          const before = await head();
          const answer: RawAnswer | null | 'timeout' = await sendRaw(harness.url, bytes, { halfClose });
          if (answer === 'timeout') {
            failures.push(
              describeFailure(sent, 0, undefined, '', ['no answer within 3 s on an open connection']),
            );
            continue;
          }
          if (answer === null) {
            // Closing without an answer is fine only when the client itself went away mid-body.
            if (!halfClose)
              failures.push(describeFailure(sent, 0, undefined, '', ['closed without an answer']));
            continue;
          }
          const failure = await judge(
            sent,
            before,
            answer.status,
            answer.headers['content-type'],
            answer.body,
          );
          if (failure) failures.push(failure);
        }
      }
      expectNoFailures(failures);
    }, 120_000);

    it('rejects NUL and lone surrogates in any string in the error envelope, appending nothing', async () => {
      expectNoFailures(
        await fuzz(
          'NUL and lone surrogates',
          12_000,
          bodyTargets(),
          6,
          bodyRequest('NUL and lone surrogates'),
        ),
      );
    }, 120_000);

    it('rejects deep nesting (100, 3000 and 20000 levels) without a 5xx, appending nothing', async () => {
      expectNoFailures(await fuzz('deep nesting', 13_000, bodyTargets(), 10, bodyRequest('deep nesting')));
    }, 120_000);

    it('is healthy afterwards: ready, and a valid registration still succeeds for every company', async () => {
      const ready = await fetch(`${harness.url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
      const readyText = await ready.text();
      const problems: string[] = [];
      if (ready.status !== 200)
        problems.push(`GET /health/ready answered ${ready.status}: ${excerpt(readyText)}`);
      for (const tenant of fuzzTenants) {
        const answer = await harness.api(tenant).post('/v1/services', serviceBody());
        if (answer.status !== 201)
          problems.push(`${tenant.id}: POST /v1/services answered ${answer.status}: ${excerpt(answer.text)}`);
      }
      expectNoFailures(problems);
    }, 60_000);
  });
}
