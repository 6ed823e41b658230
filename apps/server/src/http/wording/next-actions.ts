import type { NextAction, NextActionCode, ServiceView } from '@calsync/domain';

/** A next action as the API shows it: the domain's code, words for a person, the request that performs it. */
export interface NextActionBody {
  code: string;
  message: string;
  /** The HTTP call that performs it, when there is one. */
  request: string | null;
}

/** The ServiceView of docs/http-contract.md: the domain's view with its next action worded. */
export type ServiceViewBody = Omit<ServiceView, 'nextAction'> & { nextAction: NextActionBody | null };

type Wording = {
  [C in NextActionCode]: (
    action: Extract<NextAction, { code: C }>,
    serviceId: string,
  ) => Omit<NextActionBody, 'code'>;
};

/** One entry per code of the domain's NextAction: a new code does not compile until it has words (docs/status.md). */
const wording: Wording = {
  FIX_CALCOM_CREDENTIALS: (_action, id) => ({
    message:
      'Cal.com answered 401/403 for this team: check the API key and that its owner is a team admin, then reset the sync status.',
    request: `POST /v1/services/${id}/sync-status/reset`,
  }),
  LINK_EVENT_TYPE: (_action, id) => ({
    message: 'Link the service to a Cal.com event type to make it bookable.',
    request: `POST /v1/services/${id}/link`,
  }),
  ACTIVATE: (_action, id) => ({
    message: 'Set isActive to true to make it bookable.',
    request: `PATCH /v1/services/${id}`,
  }),
  RESET_SYNC_STATUS: (_action, id) => ({
    message:
      'Fix the cause named in lastError (edit the service if a value was rejected), then reset to push again.',
    request: `POST /v1/services/${id}/sync-status/reset`,
  }),
  RESOLVE_DIVERGENCE: (action, id) => ({
    message: action.priceOnly
      ? 'Cal.com’s price differs and cannot be set through its API: change it in Cal.com’s payment settings, or accept Cal.com’s price.'
      : 'Decide per field: keep_platform pushes the platform’s value again, accept_calcom takes Cal.com’s value (needs confirm).',
    request: `POST /v1/services/${id}/divergence/resolve`,
  }),
  RELINK_OR_RESET: (_action, id) => ({
    message:
      'Link the service to an existing event type, or reset the sync status if the event type is back.',
    request: `POST /v1/services/${id}/link`,
  }),
};

/** The words and the request of the domain's next action for this service. */
export function nextActionBody(serviceId: string, action: NextAction): NextActionBody {
  const words = (
    wording[action.code] as (action: NextAction, serviceId: string) => Omit<NextActionBody, 'code'>
  )(action, serviceId);
  return { code: action.code, ...words };
}

/** The domain's view as the API answers it. */
export function serviceViewBody(view: ServiceView): ServiceViewBody {
  return {
    ...view,
    nextAction: view.nextAction === null ? null : nextActionBody(view.serviceId, view.nextAction),
  };
}
