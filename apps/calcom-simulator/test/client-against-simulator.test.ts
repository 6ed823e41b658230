import { type CalcomClient, createCalcomClient, createRateLimiter } from '@calsync/calcom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CalcomSimulator, startCalcomSimulator } from '../src/index.js';

const TEAM = 42;
const KEY = 'cal_test_admin';
let simulator: CalcomSimulator;
let massageId: number;

function clientFor(apiKey = KEY, options: { timeoutMs?: number } = {}): CalcomClient {
  // A limiter per test client: these tests are about how answers are classified, not about pacing.
  return createCalcomClient({ apiUrl: simulator.url, apiKey, limiter: createRateLimiter(), ...options });
}

beforeAll(async () => {
  simulator = await startCalcomSimulator({
    keys: [
      { apiKey: KEY, teamIds: [TEAM] },
      { apiKey: 'cal_test_other_team', teamIds: [7] },
    ],
    teams: [{ id: TEAM, name: 'Example Clinic' }, { id: 7 }],
  });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.control.clearFaults();
  simulator.control.clearRequests();
  simulator.control.resetRateLimits();
  for (const e of simulator.control.listEventTypes(TEAM)) simulator.control.uiDeleteEventType(TEAM, e.id);
  massageId = simulator.control.uiCreateEventType(TEAM, {
    title: 'Deep Tissue Massage',
    slug: 'deep-tissue-massage',
    lengthInMinutes: 60,
    price: 8500,
    currency: 'eur',
  }).id;
});

describe('the client against the simulator: successful calls', () => {
  it('lists, reads, updates and creates team event types', async () => {
    const client = clientFor();
    const created = (
      await client.createTeamEventType(TEAM, {
        title: 'Haircut',
        slug: 'haircut',
        lengthInMinutes: 30,
        hidden: true,
      })
    )._unsafeUnwrap();
    expect(created.notTaken).toEqual([]);
    expect(created.eventType).toMatchObject({ title: 'Haircut', schedulingType: 'collective', teamId: TEAM });

    const listed = (await client.listTeamEventTypes(TEAM))._unsafeUnwrap();
    expect(listed.map((e) => e.slug)).toEqual(['deep-tissue-massage', 'haircut']);

    const write = {
      title: 'Deep Tissue Massage (60)',
      lengthInMinutes: 75,
      beforeEventBuffer: 10,
      confirmationPolicy: { type: 'always', blockUnconfirmedBookingsInBooker: false } as const,
    };
    const updated = (await client.updateTeamEventType(TEAM, massageId, write))._unsafeUnwrap();
    expect(updated.notTaken).toEqual([]);
    const read = (await client.getTeamEventType(TEAM, massageId))._unsafeUnwrap();
    expect(read).toMatchObject({ ...write, price: 8500, currency: 'eur' });

    expect(simulator.control.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `POST /v2/teams/${TEAM}/event-types 201`,
      `GET /v2/teams/${TEAM}/event-types 200`,
      `PATCH /v2/teams/${TEAM}/event-types/${massageId} 200`,
      `GET /v2/teams/${TEAM}/event-types/${massageId} 200`,
    ]);
    expect(simulator.control.requests()[0]?.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      'cal-api-version': '2024-06-14',
    });
  });

  it('names the fields Cal.com answered differently from what was sent', async () => {
    const stored = simulator.control.getEventType(TEAM, massageId);
    simulator.control.injectFault({
      kind: 'status',
      status: 200,
      method: 'PATCH',
      body: { status: 'success', data: { ...stored, title: 'Cal.com kept its own title' } },
      times: 1,
    });
    const outcome = (
      await clientFor().updateTeamEventType(TEAM, massageId, { title: 'Ours', hidden: false })
    )._unsafeUnwrap();
    expect(outcome.notTaken).toEqual([
      { field: 'title', sent: 'Ours', received: 'Cal.com kept its own title' },
    ]);
  });
});

describe('the client against the simulator: every failure class', () => {
  it("is rejected with Cal.com's validation message for a bad value", async () => {
    const error = (
      await clientFor().updateTeamEventType(TEAM, massageId, { lengthInMinutes: 0 })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      kind: 'rejected',
      httpStatus: 400,
      message: 'lengthInMinutes must not be less than 1',
      retryAfterMs: null,
    });
  });

  it('is rejected for a slug the team already uses', async () => {
    const result = await clientFor().createTeamEventType(TEAM, {
      title: 'Another massage',
      slug: 'deep-tissue-massage',
      lengthInMinutes: 30,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'rejected', httpStatus: 400 });
  });

  it('is unauthorized for an unknown key and for a key of another team', async () => {
    const unknown = (
      await clientFor('cal_live_unknown').getTeamEventType(TEAM, massageId)
    )._unsafeUnwrapErr();
    expect(unknown).toMatchObject({
      kind: 'unauthorized',
      httpStatus: 401,
      message: 'CustomThrottlerGuard - Invalid API Key',
    });
    const otherTeam = (
      await clientFor('cal_test_other_team').updateTeamEventType(TEAM, massageId, { hidden: true })
    )._unsafeUnwrapErr();
    expect(otherTeam).toMatchObject({
      kind: 'unauthorized',
      httpStatus: 403,
      message: `RolesGuard - User is not a member of the team with id=${TEAM}.`,
    });
  });

  it('is not_found for an event type deleted in the Cal.com UI', async () => {
    simulator.control.uiDeleteEventType(TEAM, massageId);
    const error = (
      await clientFor().updateTeamEventType(TEAM, massageId, { hidden: true })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      kind: 'not_found',
      httpStatus: 404,
      message: `Event type with id ${massageId} not found`,
    });
  });

  it('is transient for a 5xx, then succeeds once the fault is over', async () => {
    simulator.control.injectFault({
      kind: 'status',
      status: 503,
      path: '/v2/teams/:teamId/event-types/:id',
      times: 1,
    });
    const client = clientFor();
    const error = (await client.getTeamEventType(TEAM, massageId))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'transient', httpStatus: 503, message: 'Injected fault' });
    expect((await client.getTeamEventType(TEAM, massageId)).isOk()).toBe(true);
  });

  it('is transient when the request times out', async () => {
    simulator.control.injectFault({ kind: 'timeout', method: 'PATCH', times: 1 });
    const error = (
      await clientFor(KEY, { timeoutMs: 150 }).updateTeamEventType(TEAM, massageId, { hidden: true })
    )._unsafeUnwrapErr();
    expect(error).toEqual({
      code: 'CALCOM.FAILURE',
      kind: 'transient',
      httpStatus: null,
      message: 'request timed out after 150 ms',
      retryAfterMs: null,
    });
    expect(simulator.control.getEventType(TEAM, massageId)?.hidden).toBe(false);
  });

  it('is transient when an answer arrives later than the timeout, even though Cal.com applied it', async () => {
    simulator.control.injectFault({ kind: 'latency', latencyMs: 400, method: 'PATCH', times: 1 });
    const error = (
      await clientFor(KEY, { timeoutMs: 100 }).updateTeamEventType(TEAM, massageId, { hidden: true })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'transient', message: 'request timed out after 100 ms' });
  });

  it('is transient when the connection is dropped', async () => {
    simulator.control.injectFault({ kind: 'drop', path: `/v2/teams/${TEAM}/event-types`, times: 1 });
    const error = (await clientFor().listTeamEventTypes(TEAM))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'transient', httpStatus: null });
    expect(error.message).toMatch(/^network error: fetch failed/);
    expect(simulator.control.requests()).toMatchObject([{ method: 'GET', status: null }]);
  });
});

describe('the client against the simulator: a 429 storm', () => {
  let storm: CalcomSimulator;
  beforeAll(async () => {
    storm = await startCalcomSimulator({
      keys: [{ apiKey: KEY, teamIds: [TEAM] }],
      teams: [{ id: TEAM, eventTypes: [{ id: 1, title: 'Massage', slug: 'massage' }] }],
      rateLimit: { limit: 5, windowMs: 500, blockMs: 500 },
    });
  });
  afterAll(() => storm.close());

  it('is rate_limited with the wait from X-RateLimit-Reset, and the key recovers after the block', async () => {
    // A limiter far more generous than Cal.com, as if other processes shared the key.
    const limiter = createRateLimiter({ limit: 1_000, windowMs: 500 });
    const client = createCalcomClient({ apiUrl: storm.url, apiKey: KEY, limiter });
    const results = await Promise.all(Array.from({ length: 15 }, () => client.getTeamEventType(TEAM, 1)));

    const failures = results.filter((r) => r.isErr()).map((r) => r._unsafeUnwrapErr());
    expect(results.filter((r) => r.isOk())).toHaveLength(5);
    expect(failures).toHaveLength(10);
    for (const failure of failures) {
      expect(failure).toMatchObject({
        kind: 'rate_limited',
        httpStatus: 429,
        message: 'CustomThrottlerGuard - Too many requests. Please try again later.',
        retryAfterMs: 1_000, // Reset is in whole seconds: ceil(0.5 s)
      });
    }
    // The client paused the key itself; the next call waits out the block instead of extending it.
    expect(limiter.snapshot().pausedUntil).not.toBeNull();
    expect((await client.getTeamEventType(TEAM, 1)).isOk()).toBe(true);
    const statuses = storm.control.requests().map((r) => r.status);
    expect(statuses.slice(-1)).toEqual([200]);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});
