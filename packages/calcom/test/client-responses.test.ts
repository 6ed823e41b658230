import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCalcomClient, createRateLimiter, type EventTypeWrite } from '../src/index.js';

// Each test answers with a scripted Response, to pin how the client reads every kind of answer. The same
// behaviours are exercised over real HTTP against the simulator in apps/calcom-simulator/test.

const teamList = JSON.parse(
  readFileSync(new URL('./fixtures/team-event-types-list.json', import.meta.url), 'utf8'),
);
const eventType = teamList.data[1] as Record<string, unknown>;
const error404 = readFileSync(new URL('./fixtures/error-404.json', import.meta.url), 'utf8');
const error429 = readFileSync(new URL('./fixtures/error-429.json', import.meta.url), 'utf8');

interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

function scripted(answer: (request: SeenRequest) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    seen.push(request);
    if (init?.signal?.aborted) throw init.signal.reason;
    return answer(request);
  }) as typeof globalThis.fetch;
  const limiter = createRateLimiter({ windowMs: 10 });
  const client = createCalcomClient({
    apiUrl: 'https://api.cal.test/v2/',
    apiKey: 'cal_test_key',
    fetch,
    limiter,
  });
  return { client, seen, limiter };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('the client talks to the team routes as the contract says', () => {
  it('sends the key, the API version, and only the writable fields, to the team PATCH route', async () => {
    const { client, seen } = scripted(() => json(200, { status: 'success', data: eventType }));
    const write = {
      title: 'Group Workshop',
      hidden: true,
      price: 100,
      length: 90,
      currency: 'eur',
    } as EventTypeWrite;
    await client.updateTeamEventType(42, 2002, write);
    expect(seen[0]).toMatchObject({
      url: 'https://api.cal.test/v2/teams/42/event-types/2002',
      method: 'PATCH',
      body: { title: 'Group Workshop', hidden: true },
    });
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer cal_test_key');
    expect(seen[0]?.headers.get('cal-api-version')).toBe('2024-06-14');
    expect(seen[0]?.headers.get('content-type')).toBe('application/json');
  });

  it('creates a team event type as collective with every member assigned', async () => {
    const { client, seen } = scripted(() => json(201, { status: 'success', data: eventType }));
    const created = await client.createTeamEventType(42, {
      title: 'Group Workshop',
      slug: 'group-workshop',
      lengthInMinutes: 90,
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'https://api.cal.test/v2/teams/42/event-types' });
    expect(seen[0]?.body).toEqual({
      title: 'Group Workshop',
      slug: 'group-workshop',
      lengthInMinutes: 90,
      schedulingType: 'collective',
      assignAllTeamMembers: true,
    });
    expect(created._unsafeUnwrap().notTaken).toEqual([]);
  });

  it('takes the parent out of the [parent, ...children] answer of a managed event type', async () => {
    const parent = { ...eventType, id: 3000, schedulingType: 'managed', title: 'Managed' };
    const child = { ...parent, id: 3001, teamId: null, parentEventTypeId: 3000, title: 'Managed (Alice)' };
    const { client } = scripted(() => json(200, { status: 'success', data: [child, parent] }));
    const outcome = (await client.updateTeamEventType(42, 3000, { title: 'Managed' }))._unsafeUnwrap();
    expect(outcome.eventType.id).toBe(3000);
    expect(outcome.notTaken).toEqual([]);
  });
});

describe('every failure is classified, none escapes as an exception', () => {
  it.each([
    [400, 'rejected'],
    [422, 'rejected'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'not_found'],
    [500, 'transient'],
    [503, 'transient'],
  ] as const)('HTTP %i is %s', async (status, kind) => {
    const { client } = scripted(() =>
      json(status, { status: 'error', error: { code: 'X', message: `Cal.com says ${status}` } }),
    );
    const error = (await client.getTeamEventType(42, 2002))._unsafeUnwrapErr();
    expect(error).toEqual({
      code: 'CALCOM.FAILURE',
      kind,
      httpStatus: status,
      message: `Cal.com says ${status}`,
      retryAfterMs: null,
    });
  });

  it("is not_found with Cal.com's message", async () => {
    const { client } = scripted(() => json(404, error404));
    const error = (await client.getTeamEventType(42, 999))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'not_found', message: 'Event type with id 999 not found' });
  });

  it('spells out validation constraints instead of "Bad Request Exception"', async () => {
    const body = {
      status: 'error',
      error: {
        code: 'BadRequestException',
        message: 'Bad Request Exception',
        details: {
          errors: [
            { property: 'lengthInMinutes', constraints: { min: 'lengthInMinutes must not be less than 1' } },
          ],
        },
      },
    };
    const { client } = scripted(() => json(400, body));
    const error = (await client.updateTeamEventType(42, 2002, { lengthInMinutes: 0 }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'rejected', message: 'lengthInMinutes must not be less than 1' });
  });

  it('waits for X-RateLimit-Reset-* seconds after a 429 and pauses the key', async () => {
    const { client, limiter } = scripted(() =>
      json(429, error429, { 'X-RateLimit-Remaining-Default': '0', 'X-RateLimit-Reset-Default': '7' }),
    );
    const error = (await client.listTeamEventTypes(42))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'rate_limited', httpStatus: 429, retryAfterMs: 7_000 });
    expect(error.message).toBe('CustomThrottlerGuard - Too many requests. Please try again later.');
    expect(limiter.snapshot().pausedUntil).not.toBeNull();
  });

  it("assumes Cal.com's 60 s block when a 429 carries no reset header", async () => {
    const { client } = scripted(() => json(429, error429));
    const error = (await client.listTeamEventTypes(42))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
  });

  it('is transient when a 2xx does not have the contract shape', async () => {
    const { client } = scripted(() =>
      json(200, { status: 'success', data: [{ id: 1, title: 'no fields' }] }),
    );
    const error = (await client.listTeamEventTypes(42))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'transient', httpStatus: 200 });
    expect(error.message).toContain('unexpected shape');
  });

  it('is transient when a proxy answers with HTML', async () => {
    const { client } = scripted(
      () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const error = (await client.listTeamEventTypes(42))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'transient', httpStatus: 502, message: 'HTTP 502 Bad Gateway' });
  });

  it('is transient with the cause when the network fails', async () => {
    const { client } = scripted(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    });
    const error = (await client.listTeamEventTypes(42))._unsafeUnwrapErr();
    expect(error).toEqual({
      code: 'CALCOM.FAILURE',
      kind: 'transient',
      httpStatus: null,
      message: 'network error: fetch failed (connect ECONNREFUSED, ECONNREFUSED)',
      retryAfterMs: null,
    });
  });

  it('is transient when Cal.com does not answer within the timeout', async () => {
    const fetch = ((_input: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const client = createCalcomClient({
      apiUrl: 'https://api.cal.test/v2',
      apiKey: 'cal_test_key',
      fetch,
      timeoutMs: 20,
      limiter: createRateLimiter(),
    });
    const error = (await client.getTeamEventType(42, 2002))._unsafeUnwrapErr();
    expect(error).toMatchObject({
      kind: 'transient',
      httpStatus: null,
      message: 'request timed out after 20 ms',
    });
  });
});
