import type { CalcomSnapshot, CalcomValues } from './calcom-mapping.js';
import type {
  Actor,
  CalcomEventTypeMissing,
  ObservationSource,
  ResolutionDecision,
  ServiceOrigin,
  SyncFailureKind,
} from './events.js';

/**
 * Commands of a Service (docs/http-contract.md and the domain side of docs/sync.md). Time (`at`), the actor and
 * every id arrive inside the command: the decider has no clock and no randomness.
 */
export interface CommandMeta {
  serviceId: string;
  companyId: string;
  actor: Actor;
  /** ISO-8601 time of the command. */
  at: string;
}

export type CalcomLinkRequest = { teamId: number; eventTypeId: number } | { teamId: number; create: true };

export interface RegisterService extends CommandMeta {
  type: 'RegisterService';
  /** Unvalidated input: validated by the decider against the field schemas. */
  fields: unknown;
  calcom?: CalcomLinkRequest;
  /** Id of the sync requested when the service is linked on registration. */
  syncId: string;
  origin?: ServiceOrigin;
}

export interface EditService extends CommandMeta {
  type: 'EditService';
  /** Unvalidated patch: any subset of fields. */
  patch: unknown;
  /** The revision the admin saw (If-Match); omitted means last write wins. */
  expectedRevision?: number;
  syncId: string;
}

export interface LinkService extends CommandMeta {
  type: 'LinkService';
  teamId: number;
  eventTypeId: number;
  syncId: string;
}

export interface UnlinkService extends CommandMeta {
  type: 'UnlinkService';
  reason: string;
}

export interface RequestSync extends CommandMeta {
  type: 'RequestSync';
  syncId: string;
  trigger?: 'manual' | 'reconcile';
}

export interface RecordSyncSucceeded extends CommandMeta {
  type: 'RecordSyncSucceeded';
  syncId: string;
  /** The event type that now holds the values (the new one for a create). */
  eventTypeId: number;
  pushed: CalcomValues;
  durationMs: number;
}

export interface RecordSyncFailed extends CommandMeta {
  type: 'RecordSyncFailed';
  syncId: string;
  kind: SyncFailureKind;
  httpStatus: number | null;
  message: string;
  /** When the next attempt is due; null when this failure is final. */
  retryAt: string | null;
}

export interface RecordCalcomObservation extends CommandMeta {
  type: 'RecordCalcomObservation';
  source: ObservationSource;
  snapshot: CalcomSnapshot;
}

export interface ResolveDivergence extends CommandMeta {
  type: 'ResolveDivergence';
  decisions: Record<string, ResolutionDecision>;
  confirm: boolean;
  syncId: string;
}

export interface ResetSyncStatus extends CommandMeta {
  type: 'ResetSyncStatus';
  syncId: string;
}

export interface MarkCalcomEventTypeMissing extends CommandMeta {
  type: 'MarkCalcomEventTypeMissing';
  eventTypeId: number;
  evidence: CalcomEventTypeMissing['data']['evidence'];
  consecutiveMisses?: number;
}

export type ServiceCommand =
  | RegisterService
  | EditService
  | LinkService
  | UnlinkService
  | RequestSync
  | RecordSyncSucceeded
  | RecordSyncFailed
  | RecordCalcomObservation
  | ResolveDivergence
  | ResetSyncStatus
  | MarkCalcomEventTypeMissing;
