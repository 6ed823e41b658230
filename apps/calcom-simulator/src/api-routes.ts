import { createHash } from 'node:crypto';
import type { ApiThrottle } from './api-throttle.js';
import { errorEnvelope, throttledEnvelope, validationEnvelope } from './error-envelope.js';
import { acceptCreateInput, acceptUpdateInput } from './event-type-input.js';
import type { EventTypeStore, KeyAccess } from './event-type-store.js';
import type { SimulatedEventType } from './simulated-event-type.js';

export interface ApiRequest {
  method: string;
  /** Path without query, e.g. `/v2/teams/42/event-types`. */
  pathname: string;
  /** Path with query, as Cal.com echoes it in error bodies. */
  url: string;
  query: URLSearchParams;
  authorization: string | undefined;
  remoteAddress: string;
  rawBody: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface ApiContext {
  store: EventTypeStore;
  throttle: ApiThrottle;
}

const MISSING_AUTH =
  "No authentication method provided. Either pass an API key as 'Bearer' header or OAuth client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers";

type Caller =
  | { kind: 'anonymous' }
  | { kind: 'key'; apiKey: string; access: KeyAccess }
  | { kind: 'accessToken'; token: string };

const success = (status: number, data: unknown): Omit<ApiResponse, 'headers'> => ({
  status,
  body: { status: 'success', data },
});
const failure = (status: number, url: string, message: string): Omit<ApiResponse, 'headers'> => ({
  status,
  body: errorEnvelope(status, url, message),
});

/** Managed event types answer writes with `[parent, ...children]`, one child per host (docs/calcom.md). */
function writeAnswer(eventType: SimulatedEventType): unknown {
  if (eventType.schedulingType !== 'managed') return eventType;
  const hosts = Array.isArray(eventType.hosts) ? (eventType.hosts as Array<{ userId?: unknown }>) : [];
  const children = hosts.map((host, i) => ({
    ...eventType,
    id: eventType.id * 1000 + i + 1,
    teamId: null,
    ownerId: typeof host.userId === 'number' ? host.userId : null,
    parentEventTypeId: eventType.id,
  }));
  return [eventType, ...children];
}

function parseBody(request: ApiRequest): { ok: true; value: unknown } | { ok: false; message: string } {
  if (request.rawBody.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(request.rawBody) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : 'Invalid JSON body' };
  }
}

function teamEventTypeRoutes(
  context: ApiContext,
  request: ApiRequest,
  caller: Caller,
  teamId: number,
  eventTypeId: number | null,
): Omit<ApiResponse, 'headers'> {
  const { store } = context;
  const { method, url } = request;

  // The team list has no auth guard (docs/calcom.md): anyone may read every event type of a team, hidden included.
  if (eventTypeId === null && method === 'GET') {
    const slug = request.query.get('eventSlug');
    const listed = store.list(teamId).filter((e) => slug === null || e.slug === slug);
    if (request.query.get('sortCreatedAt') === 'desc') listed.reverse();
    return success(200, listed);
  }

  // Everything else is ApiAuthGuard + RolesGuard(TEAM_ADMIN).
  if (caller.kind === 'anonymous') return failure(401, url, MISSING_AUTH);
  if (caller.kind === 'accessToken') return failure(401, url, 'Invalid Access Token.');
  if (!caller.access.teamIds.has(teamId)) {
    return failure(403, url, `RolesGuard - User is not a member of the team with id=${teamId}.`);
  }

  const body = parseBody(request);
  if (!body.ok) return failure(400, url, body.message);

  if (eventTypeId === null) {
    if (method !== 'POST') return failure(404, url, `Cannot ${method} ${url}`);
    const input = acceptCreateInput(body.value);
    if (input.failures.length > 0) return { status: 400, body: validationEnvelope(url, input.failures) };
    const slug = String(input.fields.slug);
    if (store.slugTaken(teamId, slug)) {
      return failure(400, url, `Team with id=${teamId} already has an event type with slug ${slug}.`);
    }
    return success(201, writeAnswer(store.create(teamId, input.fields)));
  }

  const existing = store.get(teamId, eventTypeId);
  const notFound = () => failure(404, url, `Event type with id ${eventTypeId} not found`);
  if (method === 'GET') return existing ? success(200, existing) : notFound();
  if (method === 'DELETE') {
    const removed = store.remove(teamId, eventTypeId);
    return removed ? success(200, { id: removed.id, title: removed.title }) : notFound();
  }
  if (method !== 'PATCH') return failure(404, url, `Cannot ${method} ${url}`);
  if (!existing) return notFound();
  const input = acceptUpdateInput(body.value);
  if (input.failures.length > 0) return { status: 400, body: validationEnvelope(url, input.failures) };
  const { slug, schedulingType } = input.fields;
  if (typeof slug === 'string' && store.slugTaken(teamId, slug, eventTypeId)) {
    return failure(400, url, `Team with id=${teamId} already has an event type with slug ${slug}.`);
  }
  if (existing.schedulingType === 'managed' && schedulingType !== undefined) {
    return failure(400, url, 'Managed event types cannot be changed to a non-managed scheduling type.');
  }
  const updated = store.update(teamId, eventTypeId, input.fields);
  return updated ? success(200, writeAnswer(updated)) : notFound();
}

function route(context: ApiContext, request: ApiRequest, caller: Caller): Omit<ApiResponse, 'headers'> {
  const segments = request.pathname.split('/').filter((s) => s !== '');
  const { method, url } = request;
  if (
    segments[0] === 'v2' &&
    segments[1] === 'teams' &&
    segments[3] === 'event-types' &&
    segments.length <= 5
  ) {
    const numeric = (raw: string | undefined) =>
      raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null;
    const teamId = numeric(segments[2]);
    const eventTypeId = segments.length === 5 ? numeric(segments[4]) : null;
    // ParseIntPipe on the path parameters.
    if (teamId === null || (segments.length === 5 && eventTypeId === null)) {
      return failure(400, url, 'Validation failed (numeric string is expected)');
    }
    return teamEventTypeRoutes(context, request, caller, teamId, eventTypeId);
  }
  // The user route is the trap the old system fell into: team event types never appear there, and an empty
  // result is a 404, not an empty list (docs/calcom.md).
  if (segments.join('/') === 'v2/event-types' && method === 'GET') {
    if (caller.kind === 'anonymous') return failure(401, url, MISSING_AUTH);
    return failure(404, url, 'Event types not found');
  }
  return failure(404, url, `Cannot ${method} ${url}`);
}

/** Cal.com's pipeline for one request: throttler guard (which also rejects unknown keys), then the route. */
export function handleApiRequest(context: ApiContext, request: ApiRequest): ApiResponse {
  const bearer = request.authorization?.replace(/^Bearer /, '');
  let caller: Caller = { kind: 'anonymous' };
  if (bearer !== undefined && bearer !== '') {
    if (bearer.startsWith('cal_')) {
      const access = context.store.keyAccess(bearer);
      if (!access)
        return { ...failure(401, request.url, 'CustomThrottlerGuard - Invalid API Key'), headers: {} };
      caller = { kind: 'key', apiKey: bearer, access };
    } else {
      caller = { kind: 'accessToken', token: bearer };
    }
  }
  // Cal.com tracks an API key by its sha256, anonymous callers by address.
  const tracker =
    caller.kind === 'key'
      ? `key:${createHash('sha256').update(caller.apiKey).digest('hex')}`
      : caller.kind === 'accessToken'
        ? `token:${caller.token}`
        : `ip:${request.remoteAddress}`;
  const verdict = context.throttle.hit(tracker);
  if (!verdict.allowed)
    return { status: 429, body: throttledEnvelope(request.url), headers: verdict.headers };
  return { ...route(context, request, caller), headers: verdict.headers };
}
