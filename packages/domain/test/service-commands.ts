import type {
  Actor,
  CalcomSnapshot,
  EditService,
  LinkService,
  MarkCalcomEventTypeMissing,
  ObservationSource,
  RecordCalcomObservation,
  RecordSyncFailed,
  RecordSyncSucceeded,
  RegisterService,
  RequestSync,
  ResetSyncStatus,
  ResolutionDecision,
  ResolveDivergence,
  SyncedFields,
  SyncFailureKind,
  UnlinkService,
} from '../src/index.js';
import { toCalcomValues } from '../src/index.js';
import {
  ADMIN,
  COMPANY_ID,
  EVENT_TYPE_ID,
  haircut,
  type Meta,
  minute,
  SERVICE_ID,
  TEAM_ID,
} from './service-facts.js';

/** The commands of the haircut service (the "when" of a scenario), from the actor that sends each. */

function meta(actor: Actor, options: Meta) {
  return {
    serviceId: SERVICE_ID,
    companyId: COMPANY_ID,
    actor: options.actor ?? actor,
    at: options.at ?? minute(1),
  };
}

export function register(
  fields: unknown = {
    name: 'Herrenhaarschnitt',
    slug: 'herrenhaarschnitt',
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
  },
  options: Meta & Pick<RegisterService, 'calcom' | 'origin'> & { syncId?: string } = {},
): RegisterService {
  const command: RegisterService = {
    type: 'RegisterService',
    ...meta(ADMIN, options),
    fields,
    syncId: options.syncId ?? 'sync-register',
  };
  if (options.calcom) command.calcom = options.calcom;
  if (options.origin) command.origin = options.origin;
  return command;
}

export function edit(
  patch: unknown,
  options: Meta & { syncId?: string; expectedRevision?: number } = {},
): EditService {
  const command: EditService = {
    type: 'EditService',
    ...meta(ADMIN, options),
    patch,
    syncId: options.syncId ?? 'sync-edit',
  };
  if (options.expectedRevision !== undefined) command.expectedRevision = options.expectedRevision;
  return command;
}

export function link(eventTypeId = EVENT_TYPE_ID, options: Meta & { syncId?: string } = {}): LinkService {
  return {
    type: 'LinkService',
    ...meta(ADMIN, options),
    teamId: TEAM_ID,
    eventTypeId,
    syncId: options.syncId ?? 'sync-link-2',
  };
}

export function unlink(options: Meta = {}): UnlinkService {
  return { type: 'UnlinkService', ...meta(ADMIN, options), reason: 'moved to another team' };
}

export function requestSync(
  syncId = 'sync-manual',
  options: Meta & { trigger?: 'manual' | 'reconcile' } = {},
): RequestSync {
  const command: RequestSync = { type: 'RequestSync', ...meta(ADMIN, options), syncId };
  if (options.trigger) command.trigger = options.trigger;
  return command;
}

export function recordSuccess(
  syncId: string,
  fields: SyncedFields = haircut,
  options: Meta & { eventTypeId?: number; durationMs?: number } = {},
): RecordSyncSucceeded {
  return {
    type: 'RecordSyncSucceeded',
    ...meta('system:sync', options),
    syncId,
    eventTypeId: options.eventTypeId ?? EVENT_TYPE_ID,
    pushed: toCalcomValues(fields),
    durationMs: options.durationMs ?? 120,
  };
}

export function recordFailure(
  syncId: string,
  kind: SyncFailureKind,
  options: Meta & { retryAt?: string | null; httpStatus?: number | null; message?: string } = {},
): RecordSyncFailed {
  return {
    type: 'RecordSyncFailed',
    ...meta('system:sync', options),
    syncId,
    kind,
    httpStatus: options.httpStatus === undefined ? 503 : options.httpStatus,
    message: options.message ?? 'Service Unavailable',
    retryAt: options.retryAt === undefined ? minute(30) : options.retryAt,
  };
}

export function observe(
  snapshot: CalcomSnapshot,
  source: ObservationSource = 'reconciliation',
  options: Meta = {},
): RecordCalcomObservation {
  const actor: Actor = source === 'webhook' ? 'calcom:webhook' : 'calcom:reconciliation';
  return { type: 'RecordCalcomObservation', ...meta(actor, options), source, snapshot };
}

export function resolve(
  decisions: Record<string, ResolutionDecision>,
  options: Meta & { confirm?: boolean; syncId?: string } = {},
): ResolveDivergence {
  return {
    type: 'ResolveDivergence',
    ...meta(ADMIN, options),
    decisions,
    confirm: options.confirm ?? false,
    syncId: options.syncId ?? 'sync-resolution',
  };
}

export function resetSyncStatus(syncId = 'sync-reset', options: Meta = {}): ResetSyncStatus {
  return { type: 'ResetSyncStatus', ...meta(ADMIN, options), syncId };
}

export function markMissing(
  evidence: MarkCalcomEventTypeMissing['evidence'],
  options: Meta & { eventTypeId?: number; consecutiveMisses?: number } = {},
): MarkCalcomEventTypeMissing {
  const actor: Actor = evidence === 'webhook_deleted' ? 'calcom:webhook' : 'calcom:reconciliation';
  const command: MarkCalcomEventTypeMissing = {
    type: 'MarkCalcomEventTypeMissing',
    ...meta(actor, options),
    eventTypeId: options.eventTypeId ?? EVENT_TYPE_ID,
    evidence,
  };
  if (options.consecutiveMisses !== undefined) command.consecutiveMisses = options.consecutiveMisses;
  return command;
}
