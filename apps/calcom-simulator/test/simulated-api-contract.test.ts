import { readFileSync } from 'node:fs';
import { errorEnvelopeSchema, eventTypeSchema, successEnvelopeSchema } from '@calsync/calcom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CalcomSimulator, startCalcomSimulator } from '../src/index.js';

// The simulator is checked against the same contract as the client: docs/calcom.md and the fixtures.
const fixtureList = JSON.parse(
  readFileSync(
    new URL('../../../packages/calcom/test/fixtures/team-event-types-list.json', import.meta.url),
    'utf8',
  ),
) as { data: Record<string, unknown>[] };

const TEAM = 42;
const KEY = 'cal_test_admin';
let simulator: CalcomSimulator;

async function call(method: string, path: string, body?: unknown, apiKey: string | null = KEY) {
  const headers: Record<string, string> = { 'cal-api-version': '2024-06-14' };
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${simulator.controlUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

beforeAll(async () => {
  simulator = await startCalcomSimulator({
    keys: [{ apiKey: KEY, teamIds: [TEAM] }],
    teams: [{ id: TEAM, name: 'Example Clinic' }],
  });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.control.clearFaults();
  simulator.control.clearRequests();
  for (const e of simulator.control.listEventTypes(TEAM)) simulator.control.uiDeleteEventType(TEAM, e.id);
});

describe('the simulated event type', () => {
  it('has every output field of the fixture, with the same types', async () => {
    const { id } = simulator.control.uiCreateEventType(TEAM, { title: 'Consultation', slug: 'consultation' });
    const { body } = await call('GET', `/teams/${TEAM}/event-types/${id}`);
    const data = successEnvelopeSchema.parse(body).data as Record<string, unknown>;
    expect(eventTypeSchema.safeParse(data).success).toBe(true);
    const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
    for (const [field, value] of Object.entries(fixtureList.data[1] ?? {})) {
      expect.soft(field in data, field).toBe(true);
      if (value !== null && data[field] !== null) expect.soft(typeOf(data[field]), field).toBe(typeOf(value));
    }
  });
});

describe('the simulated team routes', () => {
  it('list every event type of the team, hidden ones included, unpaginated and without a key', async () => {
    for (let i = 0; i < 260; i++) {
      simulator.control.uiCreateEventType(TEAM, {
        title: `Service ${i}`,
        slug: `service-${i}`,
        hidden: i % 2 === 0,
      });
    }
    const { status, body } = await call('GET', `/teams/${TEAM}/event-types`, undefined, null);
    expect(status).toBe(200);
    const listed = eventTypeSchema.array().parse(successEnvelopeSchema.parse(body).data);
    expect(listed).toHaveLength(260);
    expect(listed.filter((e) => e.hidden)).toHaveLength(130);
    expect(body).not.toHaveProperty('pagination');
  });

  it('answer an empty team with an empty list', async () => {
    expect((await call('GET', '/teams/9999/event-types')).body).toEqual({ status: 'success', data: [] });
  });

  it('silently strip read-only and unknown fields from a PATCH (price, currency, length, requiresConfirmation)', async () => {
    const { id } = simulator.control.uiCreateEventType(TEAM, {
      title: 'Massage',
      slug: 'massage',
      price: 8500,
      currency: 'eur',
    });
    const { status, body } = await call('PATCH', `/teams/${TEAM}/event-types/${id}`, {
      title: 'Massage (60)',
      price: 100,
      currency: 'usd',
      length: 90,
      requiresConfirmation: true,
      metadata: { x: 1 },
      favouriteColour: 'green',
    });
    expect(status).toBe(200);
    expect(successEnvelopeSchema.parse(body).data).toMatchObject({
      title: 'Massage (60)',
      price: 8500,
      currency: 'eur',
      lengthInMinutes: 30,
      confirmationPolicy: { disabled: true },
      metadata: {},
    });
    expect(simulator.control.getEventType(TEAM, id)).not.toHaveProperty('favouriteColour');
  });

  it('answer a managed event type PATCH with [parent, ...children]', async () => {
    const { id } = simulator.control.uiCreateEventType(TEAM, {
      title: 'Managed',
      slug: 'managed',
      schedulingType: 'managed',
      hosts: [{ userId: 77 }, { userId: 78 }],
    });
    const { body } = await call('PATCH', `/teams/${TEAM}/event-types/${id}`, { description: 'new' });
    const data = successEnvelopeSchema.parse(body).data as Array<Record<string, unknown>>;
    expect(data.map((e) => [e.id === id, e.parentEventTypeId, e.description])).toEqual([
      [true, null, 'new'],
      [false, id, 'new'],
      [false, id, 'new'],
    ]);
  });

  it.each([
    ['no key on a guarded route', 'GET', null, 401, 'UnauthorizedException'],
    ['an unknown key', 'GET', 'cal_live_nope', 401, 'UnauthorizedException'],
    ['an OAuth token that is not valid', 'GET', 'not-a-cal-key', 401, 'UnauthorizedException'],
  ] as const)('answer 401 for %s', async (_name, method, key, status, code) => {
    const response = await call(method, `/teams/${TEAM}/event-types/1`, undefined, key);
    expect(response.status).toBe(status);
    expect(errorEnvelopeSchema.parse(response.body).error.code).toBe(code);
  });

  it('answer 403 for a team the key does not administer and 404 for an unknown id, in the fixture envelope', async () => {
    simulator.control.addKey('cal_test_elsewhere', [7]);
    const forbidden = await call(
      'PATCH',
      `/teams/${TEAM}/event-types/1`,
      { title: 'x' },
      'cal_test_elsewhere',
    );
    expect(forbidden.status).toBe(403);
    expect(errorEnvelopeSchema.parse(forbidden.body).error.code).toBe('ForbiddenException');

    const missing = await call('GET', `/teams/${TEAM}/event-types/999`);
    const fixture404 = JSON.parse(
      readFileSync(new URL('../../../packages/calcom/test/fixtures/error-404.json', import.meta.url), 'utf8'),
    );
    expect(missing.status).toBe(404);
    expect({ ...missing.body, timestamp: 'T' }).toEqual({
      ...fixture404,
      timestamp: 'T',
      path: `/v2/teams/${TEAM}/event-types/999`,
    });
  });

  it('answer the user route with 404 "Event types not found": team event types never appear there', async () => {
    simulator.control.uiCreateEventType(TEAM, { title: 'Massage', slug: 'massage' });
    const response = await call('GET', '/event-types');
    expect(response.status).toBe(404);
    expect(errorEnvelopeSchema.parse(response.body).error.message).toBe('Event types not found');
  });

  it('reject an invalid create with class-validator style details', async () => {
    const response = await call('POST', `/teams/${TEAM}/event-types`, {
      title: 'No slug',
      lengthInMinutes: 'long',
    });
    expect(response.status).toBe(400);
    const error = errorEnvelopeSchema.parse(response.body).error;
    expect(error).toMatchObject({ code: 'BadRequestException', message: 'Bad Request Exception' });
    expect((error.details as { errors: Array<{ property: string }> }).errors.map((e) => e.property)).toEqual([
      'slug',
      'lengthInMinutes',
      'schedulingType',
    ]);
  });
});

describe('the simulated rate limit', () => {
  it('advertises the limit on every answer and blocks the key for blockMs once over it', async () => {
    const limited = await startCalcomSimulator({
      keys: [{ apiKey: KEY, teamIds: [TEAM] }],
      rateLimit: { limit: 2, windowMs: 60_000, blockMs: 60_000 },
    });
    try {
      const get = () =>
        fetch(`${limited.url}/teams/${TEAM}/event-types`, { headers: { authorization: `Bearer ${KEY}` } });
      const answers = [await get(), await get(), await get(), await get()];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
      expect(answers.map((a) => a.headers.get('x-ratelimit-remaining-default'))).toEqual([
        '1',
        '0',
        '0',
        '0',
      ]);
      expect(answers[0]?.headers.get('x-ratelimit-limit-default')).toBe('2');
      expect(answers[2]?.headers.get('x-ratelimit-reset-default')).toBe('60');
      expect(answers[2]?.headers.get('retry-after')).toBeNull();
      expect(await answers[2]?.json()).toMatchObject({ error: { code: 'ThrottlerException' } });
    } finally {
      await limited.close();
    }
  });
});

describe('the HTTP control API', () => {
  it('edits, reads and deletes an event type as the Cal.com UI would, price included', async () => {
    const created = await control('POST', `/teams/${TEAM}/event-types`, {
      title: 'Haircut',
      slug: 'haircut',
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const edited = await control('PATCH', `/teams/${TEAM}/event-types/${id}`, {
      price: 3500,
      currency: 'eur',
      lengthInMinutes: 45,
    });
    expect(edited).toMatchObject({
      status: 200,
      body: { price: 3500, currency: 'eur', lengthInMinutes: 45 },
    });
    expect((await call('GET', `/teams/${TEAM}/event-types/${id}`)).body.data).toMatchObject({ price: 3500 });
    expect((await control('DELETE', `/teams/${TEAM}/event-types/${id}`)).status).toBe(204);
    expect((await control('GET', `/teams/${TEAM}/event-types/${id}`)).status).toBe(404);
    expect((await control('DELETE', `/teams/${TEAM}/event-types/${id}`)).status).toBe(404);
  });

  it('injects a fault for the next N matching calls and shows the requests received', async () => {
    const injected = await control('POST', '/faults', {
      kind: 'status',
      status: 502,
      method: 'GET',
      times: 2,
    });
    expect(injected.status).toBe(201);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', `/teams/${TEAM}/event-types`)).status);
    expect(statuses).toEqual([502, 502, 200]);
    const requests = await control('GET', '/requests');
    expect((requests.body as Array<{ status: number }>).map((r) => r.status)).toEqual([502, 502, 200]);
    expect((await control('POST', '/faults', { kind: 'explode' })).status).toBe(400);
  });

  it('adds keys and teams', async () => {
    expect((await control('POST', '/teams', { id: 77, name: 'Second Branch' })).status).toBe(204);
    expect((await control('POST', '/keys', { apiKey: 'cal_test_second', teamIds: [77] })).status).toBe(204);
    const response = await call(
      'POST',
      '/teams/77/event-types',
      {
        title: 'Facial',
        slug: 'facial',
        lengthInMinutes: 45,
        schedulingType: 'collective',
      },
      'cal_test_second',
    );
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({ teamId: 77, team: { name: 'Second Branch' } });
  });
});
