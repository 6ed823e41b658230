import { z } from 'zod';
import { faultSpecSchema } from './fault-injection.js';
import { type SimulatorControl, UnknownEventTypeError } from './simulator-control.js';
import { webhookSendSchema } from './webhook-sender.js';

export interface ControlResponse {
  status: number;
  body?: unknown;
}

const keySchema = z.strictObject({ apiKey: z.string().min(1), teamIds: z.array(z.number().int()) });
const teamSchema = z.strictObject({ id: z.number().int(), name: z.string().optional() });
const fieldsSchema = z.record(z.string(), z.unknown());

class BadControlRequest extends Error {}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new BadControlRequest(z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * `/_control/...`: the HTTP mirror of SimulatorControl, for demos and for tests in other processes.
 *   GET|DELETE /_control/requests · GET|POST|DELETE /_control/faults · POST /_control/keys · POST /_control/teams
 *   GET|POST /_control/teams/:teamId/event-types · GET|PATCH|DELETE /_control/teams/:teamId/event-types/:id
 *   POST /_control/webhooks · POST /_control/rate-limits/reset
 */
export async function handleControlRequest(
  control: SimulatorControl,
  method: string,
  pathname: string,
  body: unknown,
): Promise<ControlResponse> {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .slice(1);
  const route = `${method} ${segments.map((s) => (/^\d+$/.test(s) ? ':n' : s)).join('/')}`;
  const teamId = Number(segments[1]);
  const id = Number(segments[3]);
  try {
    switch (route) {
      case 'GET requests':
        return { status: 200, body: control.requests() };
      case 'DELETE requests':
        control.clearRequests();
        return { status: 204 };
      case 'GET faults':
        return { status: 200, body: control.faults() };
      case 'POST faults':
        return { status: 201, body: { id: control.injectFault(parse(faultSpecSchema, body)) } };
      case 'DELETE faults':
        control.clearFaults();
        return { status: 204 };
      case 'POST keys': {
        const key = parse(keySchema, body);
        control.addKey(key.apiKey, key.teamIds);
        return { status: 204 };
      }
      case 'POST teams': {
        const team = parse(teamSchema, body);
        control.addTeam(team.id, team.name);
        return { status: 204 };
      }
      case 'GET teams/:n/event-types':
        return { status: 200, body: control.listEventTypes(teamId) };
      case 'POST teams/:n/event-types':
        return { status: 201, body: control.uiCreateEventType(teamId, parse(fieldsSchema, body)) };
      case 'GET teams/:n/event-types/:n': {
        const eventType = control.getEventType(teamId, id);
        return eventType
          ? { status: 200, body: eventType }
          : { status: 404, body: { error: 'no such event type' } };
      }
      case 'PATCH teams/:n/event-types/:n':
        return { status: 200, body: control.uiEditEventType(teamId, id, parse(fieldsSchema, body)) };
      case 'DELETE teams/:n/event-types/:n':
        control.uiDeleteEventType(teamId, id);
        return { status: 204 };
      case 'POST webhooks':
        return { status: 200, body: await control.sendWebhook(parse(webhookSendSchema, body)) };
      case 'POST rate-limits/reset':
        control.resetRateLimits();
        return { status: 204 };
      default:
        return { status: 404, body: { error: `no control route ${method} ${pathname}` } };
    }
  } catch (error) {
    if (error instanceof BadControlRequest) return { status: 400, body: { error: error.message } };
    if (error instanceof UnknownEventTypeError) return { status: 404, body: { error: error.message } };
    // A webhook that could not be delivered is the target's problem, reported rather than crashing the simulator.
    if (route === 'POST webhooks') return { status: 502, body: { error: String(error) } };
    throw error;
  }
}
