import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { type CalcomError, calcomFailure } from './calcom-failure.js';
import { type CalcomAnswer, type CalcomConnection, sendCalcomRequest } from './calcom-request.js';
import {
  type CalcomEventType,
  type EventTypeCreate,
  type EventTypeWrite,
  eventTypeSchema,
  writeBody,
} from './event-type-schema.js';
import { fieldsNotTaken, type NotTakenField } from './not-taken.js';
import { type RateLimiter, rateLimiterFor } from './rate-limiter.js';

export interface WriteOutcome {
  eventType: CalcomEventType;
  /** Fields Cal.com did not store as sent; empty when everything took. */
  notTaken: NotTakenField[];
}

export interface CreateOptions {
  /** Team creates require one; "collective" with every member assigned is the neutral choice. */
  schedulingType?: 'collective' | 'roundRobin';
}

/** Cal.com API v2, team event types only: team routes are the ones that see every event type of a team. */
export interface CalcomClient {
  /** `GET /teams/{teamId}/event-types`: one unpaginated answer, hidden event types included. */
  listTeamEventTypes(teamId: number): ResultAsync<CalcomEventType[], CalcomError>;
  getTeamEventType(teamId: number, eventTypeId: number): ResultAsync<CalcomEventType, CalcomError>;
  updateTeamEventType(
    teamId: number,
    eventTypeId: number,
    write: EventTypeWrite,
  ): ResultAsync<WriteOutcome, CalcomError>;
  createTeamEventType(
    teamId: number,
    write: EventTypeCreate,
    options?: CreateOptions,
  ): ResultAsync<WriteOutcome, CalcomError>;
}

export interface CalcomClientOptions {
  /** Base including the version segment, e.g. `https://api.cal.com/v2`. */
  apiUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Defaults to the limiter shared by every client of `apiKey`. */
  limiter?: RateLimiter;
  fetch?: typeof fetch;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

// A managed event type answers a team PATCH/POST with `[parent, ...children]` (docs/calcom.md).
const writeAnswerSchema = z.union([eventTypeSchema, z.array(eventTypeSchema).min(1)]);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** A 2xx whose data does not have the contract's shape: retrying may help (a proxy, a deploy in progress). */
function parseData<T>(schema: z.ZodType<T>, answer: CalcomAnswer): Result<T, CalcomError> {
  const parsed = schema.safeParse(answer.data);
  if (parsed.success) return ok(parsed.data);
  const message = `Cal.com answered ${answer.status} with an unexpected shape: ${describeIssues(parsed.error)}`;
  return err(calcomFailure('transient', message, answer.status));
}

function pickWritten(data: CalcomEventType | CalcomEventType[], eventTypeId?: number): CalcomEventType {
  if (!Array.isArray(data)) return data;
  const parent = data.find((e) => eventTypeId !== undefined && e.id === eventTypeId) ?? data[0];
  // min(1) in the schema makes data[0] present.
  return parent as CalcomEventType;
}

export function createCalcomClient(options: CalcomClientOptions): CalcomClient {
  const connection: CalcomConnection = {
    apiUrl: options.apiUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    limiter: options.limiter ?? rateLimiterFor(options.apiKey),
    fetch: options.fetch ?? globalThis.fetch,
  };
  const teamPath = (teamId: number) => `/teams/${encodeURIComponent(String(teamId))}/event-types`;

  return {
    listTeamEventTypes(teamId) {
      return sendCalcomRequest(connection, { method: 'GET', path: teamPath(teamId) }).andThen((answer) =>
        parseData(z.array(eventTypeSchema), answer),
      );
    },
    getTeamEventType(teamId, eventTypeId) {
      return sendCalcomRequest(connection, {
        method: 'GET',
        path: `${teamPath(teamId)}/${encodeURIComponent(String(eventTypeId))}`,
      }).andThen((answer) => parseData(eventTypeSchema, answer));
    },
    updateTeamEventType(teamId, eventTypeId, write) {
      const body = writeBody(write);
      return sendCalcomRequest(connection, {
        method: 'PATCH',
        path: `${teamPath(teamId)}/${encodeURIComponent(String(eventTypeId))}`,
        body,
      })
        .andThen((answer) => parseData(writeAnswerSchema, answer))
        .map((data) => {
          const eventType = pickWritten(data, eventTypeId);
          return { eventType, notTaken: fieldsNotTaken(body, eventType) };
        });
    },
    createTeamEventType(teamId, write, createOptions) {
      const body = writeBody(write);
      return sendCalcomRequest(connection, {
        method: 'POST',
        path: teamPath(teamId),
        body: {
          ...body,
          schedulingType: createOptions?.schedulingType ?? 'collective',
          assignAllTeamMembers: true,
        },
      })
        .andThen((answer) => parseData(writeAnswerSchema, answer))
        .map((data) => {
          const eventType = pickWritten(data);
          return { eventType, notTaken: fieldsNotTaken(body, eventType) };
        });
    },
  };
}
