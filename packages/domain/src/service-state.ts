import type { CalcomSnapshot, CalcomValues } from './calcom-mapping.js';
import type {
  CalcomDiverged,
  MissingEvidence,
  ObservationSource,
  ServiceEvent,
  SyncFailureKind,
  SyncRequested,
} from './events.js';
import { applyChanges, type ServiceFields } from './fields.js';

/** Every sync status of a service (docs/status.md): the one list that types and schemas use. */
export const syncStatuses = ['never', 'pending', 'synced', 'error', 'diverged', 'orphaned'] as const;

/** Sync status of a service (docs/status.md). */
export type SyncStatus = (typeof syncStatuses)[number];

export interface SyncError {
  kind: SyncFailureKind;
  httpStatus: number | null;
  message: string;
}

export interface OpenDivergence {
  detectedAt: string;
  source: ObservationSource;
  fields: CalcomDiverged['data']['fields'];
  snapshot: CalcomSnapshot;
}

export interface MissingEventType {
  detectedAt: string;
  eventTypeId: number;
  evidence: MissingEvidence;
}

export interface SyncState {
  /** The newest request that has no final outcome yet (the one to push). */
  requested: SyncRequested['data'] | null;
  /** Failed attempts of the newest request. */
  failedAttempts: number;
  /** Attempts of the last request that has an outcome, or of the one in progress. */
  attempts: number;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastSucceededSyncId: string | null;
  lastError: SyncError | null;
  nextRetryAt: string | null;
  /** The last request failed for good and needs an admin. */
  failedFinally: boolean;
}

export interface ServiceState {
  exists: boolean;
  serviceId: string;
  companyId: string;
  /** Number of events in the stream (the ServiceView revision). */
  revision: number;
  fields: ServiceFields | null;
  link: { teamId: number; eventTypeId: number } | null;
  /** A team the service asked to have an event type created in, until it is linked. */
  createIn: number | null;
  sync: SyncState;
  /** What Cal.com last confirmed holding for this service: the baseline of divergence. */
  lastPushed: CalcomValues | null;
  divergence: OpenDivergence | null;
  missing: MissingEventType | null;
  status: SyncStatus;
  statusSince: string | null;
  registeredAt: string | null;
  updatedAt: string | null;
}

/** The state of a service stream with no events. */
export function initialState(): ServiceState {
  return {
    exists: false,
    serviceId: '',
    companyId: '',
    revision: 0,
    fields: null,
    link: null,
    createIn: null,
    sync: {
      requested: null,
      failedAttempts: 0,
      attempts: 0,
      lastAttemptAt: null,
      lastSuccessAt: null,
      lastSucceededSyncId: null,
      lastError: null,
      nextRetryAt: null,
      failedFinally: false,
    },
    lastPushed: null,
    divergence: null,
    missing: null,
    status: 'never',
    statusSince: null,
    registeredAt: null,
    updatedAt: null,
  };
}

/** The status a state is in, derived in order of what needs a person most. */
export function deriveStatus(state: Omit<ServiceState, 'status' | 'statusSince'>): SyncStatus {
  if (!state.link && state.createIn === null) return 'never';
  if (state.missing) return 'orphaned';
  if (state.divergence) return 'diverged';
  if (state.sync.failedFinally) return 'error';
  if (state.sync.requested) return 'pending';
  return state.sync.lastSuccessAt ? 'synced' : 'pending';
}

function applyEvent(state: ServiceState, event: ServiceEvent): ServiceState {
  const at = event.data.at;
  switch (event.type) {
    case 'ServiceRegistered':
      return {
        ...state,
        exists: true,
        serviceId: event.data.serviceId,
        companyId: event.data.companyId,
        fields: event.data.fields,
        registeredAt: at,
      };
    case 'ServiceEdited':
      return state.fields ? { ...state, fields: applyChanges(state.fields, event.data.changes) } : state;
    case 'CalcomLinked': {
      const sameEventType = state.link?.eventTypeId === event.data.eventTypeId;
      return {
        ...state,
        link: { teamId: event.data.teamId, eventTypeId: event.data.eventTypeId },
        createIn: null,
        missing: null,
        // A different event type has its own history: nothing it held was pushed by us.
        lastPushed: sameEventType ? state.lastPushed : null,
        divergence: sameEventType ? state.divergence : null,
      };
    }
    case 'CalcomUnlinked':
      return {
        ...state,
        link: null,
        createIn: null,
        lastPushed: null,
        divergence: null,
        missing: null,
        sync: { ...state.sync, requested: null, failedAttempts: 0, nextRetryAt: null, failedFinally: false },
      };
    case 'SyncRequested':
      return {
        ...state,
        createIn: event.data.operation === 'create' ? event.data.teamId : state.createIn,
        sync: {
          ...state.sync,
          requested: event.data,
          failedAttempts: 0,
          nextRetryAt: null,
          failedFinally: false,
        },
      };
    case 'SyncSucceeded': {
      const current = state.sync.requested?.syncId === event.data.syncId;
      return {
        ...state,
        lastPushed: event.data.pushed,
        sync: {
          ...state.sync,
          requested: current ? null : state.sync.requested,
          failedAttempts: current ? 0 : state.sync.failedAttempts,
          attempts: event.data.attempts,
          lastAttemptAt: at,
          lastSuccessAt: at,
          lastSucceededSyncId: event.data.syncId,
          lastError: null,
          nextRetryAt: current ? null : state.sync.nextRetryAt,
        },
      };
    }
    case 'SyncFailed': {
      const current = state.sync.requested?.syncId === event.data.syncId;
      const error: SyncError = {
        kind: event.data.kind,
        httpStatus: event.data.httpStatus,
        message: event.data.message,
      };
      if (!current) return { ...state, sync: { ...state.sync, lastAttemptAt: at, lastError: error } };
      return {
        ...state,
        sync: {
          ...state.sync,
          requested: event.data.final ? null : state.sync.requested,
          failedAttempts: event.data.final ? 0 : event.data.attempt,
          attempts: event.data.attempt,
          lastAttemptAt: at,
          lastError: error,
          nextRetryAt: event.data.final ? null : event.data.retryAt,
          failedFinally: event.data.final,
        },
      };
    }
    case 'CalcomDiverged':
      return {
        ...state,
        divergence: {
          detectedAt: at,
          source: event.data.source,
          fields: event.data.fields,
          snapshot: event.data.snapshot,
        },
      };
    case 'DivergenceResolved':
      return { ...state, divergence: null };
    case 'CalcomEventTypeMissing':
      return {
        ...state,
        missing: { detectedAt: at, eventTypeId: event.data.eventTypeId, evidence: event.data.evidence },
        sync: { ...state.sync, requested: null, failedAttempts: 0, nextRetryAt: null },
      };
    case 'SyncStatusReset':
      return {
        ...state,
        missing: null,
        sync: { ...state.sync, failedFinally: false, failedAttempts: 0, nextRetryAt: null },
      };
  }
}

/** Folds one event into the state of its service. Total: accepts every valid event. */
export function evolve(state: ServiceState, event: ServiceEvent): ServiceState {
  const next = applyEvent(state, event);
  const status = deriveStatus(next);
  return {
    ...next,
    revision: state.revision + 1,
    status,
    statusSince: status !== state.status || state.statusSince === null ? event.data.at : state.statusSince,
    updatedAt: event.data.at,
  };
}

/** The state of a service after these events. */
export function foldService(events: readonly ServiceEvent[]): ServiceState {
  return events.reduce(evolve, initialState());
}
