import type { ServiceFields } from './fields.js';
import type { ServiceState, SyncError, SyncStatus } from './service-state.js';

export interface Reason {
  code: string;
  message: string;
}

/**
 * What an admin can do next, as a code and the facts its wording needs. The domain names the
 * action; the HTTP layer words it and names the request that performs it (docs/status.md).
 */
export type NextAction =
  /** Cal.com refused the team's credentials: fix them, then reset the sync status. */
  | { code: 'FIX_CALCOM_CREDENTIALS' }
  /** Not linked: link it to an event type to make it bookable. */
  | { code: 'LINK_EVENT_TYPE' }
  /** Synced but inactive: set isActive to make it bookable. */
  | { code: 'ACTIVATE' }
  /** The last push failed for good: fix the cause, then reset. */
  | { code: 'RESET_SYNC_STATUS' }
  /** Cal.com holds other values; `priceOnly`: only the price differs, which Cal.com's API cannot set. */
  | { code: 'RESOLVE_DIVERGENCE'; priceOnly: boolean }
  /** The event type is missing: link to another one, or reset if it is back. */
  | { code: 'RELINK_OR_RESET' };

export type NextActionCode = NextAction['code'];

/** The status view of one service; the HTTP layer words its next action into the ServiceView of docs/http-contract.md. */
export interface ServiceView {
  serviceId: string;
  companyId: string;
  revision: number;
  fields: ServiceFields;
  calcom: { eventTypeId: number | null; teamId: number } | null;
  sync: {
    status: SyncStatus;
    direction: 'platform→calcom';
    since: string | null;
    message: string;
    lastAttemptAt: string | null;
    lastSuccessAt: string | null;
    lastError: SyncError | null;
    attempts: number;
    nextRetryAt: string | null;
    /** Why a pending service is not being pushed right now and until when (its team's key is rate-limited). */
    waiting: SyncWaiting | null;
  };
  divergence: {
    detectedAt: string;
    source: 'webhook' | 'reconciliation';
    fields: Array<{ field: string; platform: unknown; calcom: unknown }>;
  } | null;
  bookable: boolean;
  notBookableReasons: Reason[];
  nextAction: NextAction | null;
  registeredAt: string | null;
  updatedAt: string | null;
}

/** Why a pending service waits: Cal.com rate-limited its team's API key. */
export interface SyncWaiting {
  reason: 'rate_limited';
  until: string;
  message: string;
  /** The reset Cal.com advertised in ms, null when it sent none that could be read (the window was assumed). */
  advertisedResetMs: number | null;
  /** The wait applied in ms: the advertised reset, capped, or the window. */
  appliedResetMs: number;
  capped: boolean;
}

/** Cal.com answered 429 for the team's API key: every push of the team waits until `until`. */
export interface TeamRateLimitWait {
  /** Which key (a short hash, never the key itself). */
  key: string;
  until: string;
  advertisedResetMs: number | null;
  appliedResetMs: number;
  capped: boolean;
  /** The cap applied (sync.maxRateLimitResetMs). */
  maxResetMs: number;
}

/** Team-wide facts that change what a service's status means (credentials paused, key rate-limited). */
export interface TeamSyncContext {
  paused: { since: string; message: string } | null;
  rateLimited?: TeamRateLimitWait | null;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

function rateLimitSentence(wait: TeamRateLimitWait): string {
  const base = `Cal.com rate-limited this team's API key; pushes wait until ${wait.until}`;
  if (wait.advertisedResetMs === null)
    return `${base} (no readable reset was sent, the ${seconds(wait.appliedResetMs)} window is assumed).`;
  if (wait.capped)
    return `${base} (Cal.com advertised ${seconds(wait.advertisedResetMs)}, capped at ${seconds(wait.maxResetMs)} by sync.maxRateLimitResetMs).`;
  return `${base} (reset advertised by Cal.com: ${seconds(wait.advertisedResetMs)}).`;
}

/** The rate-limit wait a service is subject to: only while it has something to push. */
function waitingOf(state: ServiceState, team: TeamSyncContext): SyncWaiting | null {
  const wait = team.rateLimited;
  if (!wait || state.status !== 'pending' || team.paused) return null;
  return {
    reason: 'rate_limited',
    until: wait.until,
    message: rateLimitSentence(wait),
    advertisedResetMs: wait.advertisedResetMs,
    appliedResetMs: wait.appliedResetMs,
    capped: wait.capped,
  };
}

/** The later of the service's own retry time and its team's rate-limit wait. */
function nextRetryAtOf(state: ServiceState, waiting: SyncWaiting | null): string | null {
  const own = state.sync.nextRetryAt;
  if (!waiting) return own;
  if (own === null) return waiting.until;
  return Date.parse(own) >= Date.parse(waiting.until) ? own : waiting.until;
}

function statusMessage(state: ServiceState, team: TeamSyncContext): string {
  const error = state.sync.lastError;
  switch (state.status) {
    case 'never':
      return 'Not linked to a Cal.com event type; nothing is synced.';
    case 'pending':
      if (team.paused) return `Waiting: sync for this Cal.com team is paused (${team.paused.message}).`;
      if (team.rateLimited) return `Waiting: ${rateLimitSentence(team.rateLimited)}`;
      if (state.sync.nextRetryAt && error) {
        return `Retrying after a ${error.kind.replace('_', ' ')} failure (${error.message}).`;
      }
      return state.createIn !== null
        ? 'Waiting for the event type to be created in Cal.com.'
        : 'Changes are waiting to be pushed to Cal.com.';
    case 'synced':
      return 'Cal.com holds exactly the platform’s values.';
    case 'error':
      return `The last push failed for good: ${error?.message ?? 'unknown error'}.`;
    case 'diverged':
      return 'Cal.com was changed outside the platform; pushes are held until an admin decides.';
    case 'orphaned':
      return `Cal.com event type ${state.missing?.eventTypeId ?? ''} was not found in Cal.com.`;
  }
}

function reasons(state: ServiceState, team: TeamSyncContext): Reason[] {
  const list: Reason[] = [];
  if (state.fields && !state.fields.isActive) {
    list.push({ code: 'INACTIVE', message: 'The service is inactive on the platform.' });
  }
  const byStatus: Record<Exclude<SyncStatus, 'synced'>, Reason> = {
    never: { code: 'NOT_LINKED', message: 'The service is not linked to a Cal.com event type.' },
    pending: { code: 'SYNC_PENDING', message: 'Cal.com does not hold the latest values yet.' },
    error: {
      code: 'SYNC_ERROR',
      message: `The last push failed: ${state.sync.lastError?.message ?? 'unknown'}.`,
    },
    diverged: { code: 'DIVERGED', message: 'Cal.com holds values that differ from the platform’s.' },
    orphaned: { code: 'ORPHANED', message: 'The linked Cal.com event type is missing.' },
  };
  if (state.status !== 'synced') list.push(byStatus[state.status]);
  if (team.paused && state.status !== 'synced') {
    list.push({
      code: 'TEAM_SYNC_PAUSED',
      message: `Cal.com rejected the team's credentials: ${team.paused.message}`,
    });
  }
  const waiting = waitingOf(state, team);
  if (waiting) list.push({ code: 'CALCOM_RATE_LIMITED', message: waiting.message });
  return list;
}

function nextAction(state: ServiceState, team: TeamSyncContext): NextAction | null {
  if (team.paused && (state.status === 'pending' || state.status === 'error')) {
    return { code: 'FIX_CALCOM_CREDENTIALS' };
  }
  switch (state.status) {
    case 'never':
      return { code: 'LINK_EVENT_TYPE' };
    case 'pending':
      return null;
    case 'synced':
      return state.fields?.isActive ? null : { code: 'ACTIVATE' };
    case 'error':
      return { code: 'RESET_SYNC_STATUS' };
    case 'diverged':
      return {
        code: 'RESOLVE_DIVERGENCE',
        priceOnly: state.divergence?.fields.every((entry) => entry.field === 'price') ?? false,
      };
    case 'orphaned':
      return { code: 'RELINK_OR_RESET' };
  }
}

const noTeamContext: TeamSyncContext = { paused: null, rateLimited: null };

/** The status view of a service (docs/status.md, docs/http-contract.md). Bookable ⇔ isActive ∧ status = synced. */
export function statusView(state: ServiceState, team: TeamSyncContext = noTeamContext): ServiceView {
  if (!state.exists || !state.fields)
    throw new Error(`statusView of a service that does not exist (${state.serviceId})`);
  const notBookableReasons = reasons(state, team);
  const waiting = waitingOf(state, team);
  const calcom = state.link
    ? { eventTypeId: state.link.eventTypeId, teamId: state.link.teamId }
    : state.createIn !== null
      ? { eventTypeId: null, teamId: state.createIn }
      : null;
  return {
    serviceId: state.serviceId,
    companyId: state.companyId,
    revision: state.revision,
    fields: state.fields,
    calcom,
    sync: {
      status: state.status,
      direction: 'platform→calcom',
      since: state.statusSince,
      message: statusMessage(state, team),
      lastAttemptAt: state.sync.lastAttemptAt,
      lastSuccessAt: state.sync.lastSuccessAt,
      lastError: state.sync.lastError,
      attempts: state.sync.attempts,
      nextRetryAt: nextRetryAtOf(state, waiting),
      waiting,
    },
    divergence: state.divergence
      ? {
          detectedAt: state.divergence.detectedAt,
          source: state.divergence.source,
          fields: state.divergence.fields,
        }
      : null,
    bookable: state.fields.isActive && state.status === 'synced',
    notBookableReasons,
    nextAction: nextAction(state, team),
    registeredAt: state.registeredAt,
    updatedAt: state.updatedAt,
  };
}
