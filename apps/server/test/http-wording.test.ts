import {
  type DomainError,
  decide,
  foldService,
  initialState,
  type NextAction,
  type ServiceCommand,
  type ServiceState,
  statusView,
} from '@calsync/domain';
import { describe, expect, it } from 'vitest';
import { httpErrorOf, withNextStep } from '../src/http/wording/error-hints.js';
import { nextActionBody, serviceViewBody } from '../src/http/wording/next-actions.js';

const ID = 'svc-1';
const meta = {
  serviceId: ID,
  companyId: 'acme',
  actor: 'admin:acme',
  at: '2026-01-05T09:00:00.000Z',
} as const;
const fields = {
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  description: 'Waschen, schneiden, föhnen',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};

function refusal(command: ServiceCommand, state: ServiceState): DomainError {
  const decided = decide(command, state);
  if (decided.isOk()) throw new Error(`${command.type} was accepted`);
  return decided.error;
}

function registeredState(): ServiceState {
  const events = decide({ ...meta, type: 'RegisterService', fields, syncId: 'sync-1' }, initialState());
  return foldService(events._unsafeUnwrap());
}

describe('the HTTP layer words the domain’s next actions and names their requests (docs/status.md)', () => {
  const cases: Array<[NextAction, { message: string; request: string }]> = [
    [
      { code: 'FIX_CALCOM_CREDENTIALS' },
      {
        message:
          'Cal.com answered 401/403 for this team: check the API key and that its owner is a team admin, then reset the sync status.',
        request: `POST /v1/services/${ID}/sync-status/reset`,
      },
    ],
    [
      { code: 'LINK_EVENT_TYPE' },
      {
        message: 'Link the service to a Cal.com event type to make it bookable.',
        request: `POST /v1/services/${ID}/link`,
      },
    ],
    [
      { code: 'ACTIVATE' },
      { message: 'Set isActive to true to make it bookable.', request: `PATCH /v1/services/${ID}` },
    ],
    [
      { code: 'RESET_SYNC_STATUS' },
      {
        message:
          'Fix the cause named in lastError (edit the service if a value was rejected), then reset to push again.',
        request: `POST /v1/services/${ID}/sync-status/reset`,
      },
    ],
    [
      { code: 'RESOLVE_DIVERGENCE', priceOnly: false },
      {
        message:
          'Decide per field: keep_platform pushes the platform’s value again, accept_calcom takes Cal.com’s value (needs confirm).',
        request: `POST /v1/services/${ID}/divergence/resolve`,
      },
    ],
    [
      { code: 'RESOLVE_DIVERGENCE', priceOnly: true },
      {
        message:
          'Cal.com’s price differs and cannot be set through its API: change it in Cal.com’s payment settings, or accept Cal.com’s price.',
        request: `POST /v1/services/${ID}/divergence/resolve`,
      },
    ],
    [
      { code: 'RELINK_OR_RESET' },
      {
        message:
          'Link the service to an existing event type, or reset the sync status if the event type is back.',
        request: `POST /v1/services/${ID}/link`,
      },
    ],
  ];

  it.each(cases)('%o is answered with its words and the request that performs it', (action, words) => {
    expect(nextActionBody(ID, action)).toEqual({ code: action.code, ...words });
  });

  it('a service view keeps every field of the domain’s view and words only its next action', () => {
    const view = statusView(registeredState());
    const body = serviceViewBody(view);

    expect(view.nextAction).toEqual({ code: 'LINK_EVENT_TYPE' });
    expect(body).toEqual({ ...view, nextAction: nextActionBody(ID, { code: 'LINK_EVENT_TYPE' }) });
  });
});

describe('the HTTP layer adds the request that helps next to the domain’s refusals (docs/http-contract.md)', () => {
  it('a service that does not exist: list the services', () => {
    const error = refusal({ ...meta, type: 'RequestSync', syncId: 'sync-2' }, initialState());

    expect(withNextStep(error)).toEqual({
      code: 'SERVICE_NOT_FOUND',
      message: `Service "${ID}" does not exist in this company. Check the id, or list services with GET /v1/services.`,
    });
  });

  it('a service that exists already: edit it instead', () => {
    const error = refusal({ ...meta, type: 'RegisterService', fields, syncId: 'sync-2' }, registeredState());

    expect(withNextStep(error)).toEqual({
      code: 'SERVICE_ALREADY_EXISTS',
      message: `Service "${ID}" already exists. Edit it with PATCH /v1/services/${ID} instead.`,
    });
  });

  it('a stale revision: retry with If-Match naming the current one, the revisions kept as details', () => {
    const error = refusal(
      { ...meta, type: 'EditService', patch: { durationMinutes: 45 }, expectedRevision: 0, syncId: 'sync-2' },
      registeredState(),
    );

    expect(withNextStep(error)).toEqual({
      code: 'REVISION_CONFLICT',
      message:
        'The service changed since revision 0; it is now at revision 1. Reload it, re-apply your edit and retry with If-Match: "1".',
      details: { expectedRevision: 0, actualRevision: 1 },
    });
  });

  it('a conflict answered with the current view as details still names the revision to send', () => {
    const error = refusal(
      { ...meta, type: 'EditService', patch: { durationMinutes: 45 }, expectedRevision: 0, syncId: 'sync-2' },
      registeredState(),
    );
    const answer = httpErrorOf(error, { details: { current: null } });

    expect(answer.message).toBe(
      'The service changed since revision 0; it is now at revision 1. Reload it, re-apply your edit and retry with If-Match: "1".',
    );
    expect(answer.details).toEqual({ current: null });
    expect(answer.statusCode).toBe(409);
  });

  it('a service linked to nothing: link it first, for a push and for an unlink alike', () => {
    const expected = {
      code: 'NOT_LINKED',
      message: `Service "${ID}" is not linked to a Cal.com event type. Link it with POST /v1/services/${ID}/link first.`,
    };

    expect(
      withNextStep(refusal({ ...meta, type: 'RequestSync', syncId: 'sync-2' }, registeredState())),
    ).toEqual(expected);
    expect(withNextStep(refusal({ ...meta, type: 'UnlinkService', reason: 'x' }, registeredState()))).toEqual(
      expected,
    );
  });

  it('a push over an open divergence: resolve it first', () => {
    const diverged: ServiceState = {
      ...registeredState(),
      link: { teamId: 42, eventTypeId: 7 },
      divergence: {
        detectedAt: meta.at,
        source: 'webhook',
        fields: [{ field: 'name', platform: 'Herrenhaarschnitt', calcom: 'Anders' }],
      } as ServiceState['divergence'],
    };
    const answer = withNextStep(refusal({ ...meta, type: 'RequestSync', syncId: 'sync-2' }, diverged));

    expect(answer).toMatchObject({
      code: 'DIVERGENCE_OPEN',
      message:
        'Cal.com holds values the platform did not push; pushing now would overwrite them unseen. Resolve the divergence first (POST /v1/services/:id/divergence/resolve).',
    });
  });

  it('a refusal that needs no request keeps the domain’s message as it is', () => {
    const error = refusal({ ...meta, type: 'ResetSyncStatus', syncId: 'sync-2' }, registeredState());

    expect(withNextStep(error)).toEqual({
      code: 'NOTHING_TO_RESET',
      message: 'The sync status is "never", not "error" or "orphaned", so there is nothing to reset.',
    });
  });
});
