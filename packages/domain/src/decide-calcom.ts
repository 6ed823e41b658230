import { err, ok, type Result } from 'neverthrow';
import type {
  MarkCalcomEventTypeMissing,
  RecordCalcomObservation,
  RecordSyncFailed,
  RecordSyncSucceeded,
} from './commands.js';
import { eventBase, heldEditsOutstanding, syncRequest } from './decide-admin.js';
import { detectDivergence, sameDivergence } from './divergence.js';
import { type DomainError, domainError, serviceNotFound } from './errors.js';
import type { ServiceEvent } from './events.js';
import type { ServiceState } from './service-state.js';

type Decision = Result<ServiceEvent[], DomainError>;

function isCurrentRequest(state: ServiceState, syncId: string): boolean {
  return state.sync.requested?.syncId === syncId;
}

/**
 * Cal.com accepted a push. A success of an older, superseded request still moves the
 * baseline (Cal.com holds those values now) but leaves the newer request pending.
 */
export function decideRecordSyncSucceeded(command: RecordSyncSucceeded, state: ServiceState): Decision {
  if (!state.exists) return err(serviceNotFound(command.serviceId));
  if (state.sync.lastSucceededSyncId === command.syncId) return ok([]);
  const current = isCurrentRequest(state, command.syncId);
  const events: ServiceEvent[] = [];
  const request = state.sync.requested;
  // The link of a created event type comes first: linking forgets the baseline of another
  // event type, so the success that follows sets the baseline of this one.
  if (current && request?.operation === 'create' && !state.link) {
    events.push({
      type: 'CalcomLinked',
      data: { ...eventBase(command), teamId: request.teamId, eventTypeId: command.eventTypeId },
    });
  }
  events.push({
    type: 'SyncSucceeded',
    data: {
      ...eventBase(command),
      syncId: command.syncId,
      eventTypeId: command.eventTypeId,
      pushed: command.pushed,
      attempts: current ? state.sync.failedAttempts + 1 : 1,
      durationMs: Math.max(0, Math.round(command.durationMs)),
    },
  });
  return ok(events);
}

/**
 * One attempt failed. `rejected` and `not_found` are final whatever the caller says; a 404
 * on a linked event type also records it as missing (docs/sync.md).
 */
export function decideRecordSyncFailed(command: RecordSyncFailed, state: ServiceState): Decision {
  if (!state.exists) return err(serviceNotFound(command.serviceId));
  const current = isCurrentRequest(state, command.syncId);
  const final = command.retryAt === null || command.kind === 'rejected' || command.kind === 'not_found';
  const events: ServiceEvent[] = [
    {
      type: 'SyncFailed',
      data: {
        ...eventBase(command),
        syncId: command.syncId,
        kind: command.kind,
        httpStatus: command.httpStatus,
        message: command.message,
        attempt: current ? state.sync.failedAttempts + 1 : 1,
        retryAt: final ? null : command.retryAt,
        final,
      },
    },
  ];
  if (current && command.kind === 'not_found' && state.link && !state.missing) {
    events.push({
      type: 'CalcomEventTypeMissing',
      data: { ...eventBase(command), ...state.link, evidence: 'push_not_found', consecutiveMisses: null },
    });
  }
  return ok(events);
}

/**
 * Cal.com showed an event type (webhook relay or reconciliation). Never changes a platform
 * field: it either confirms, or records a divergence for an admin to decide.
 */
export function decideRecordCalcomObservation(
  command: RecordCalcomObservation,
  state: ServiceState,
): Decision {
  if (!state.exists) return err(serviceNotFound(command.serviceId));
  if (!state.link || state.link.eventTypeId !== command.snapshot.id) {
    return err(
      domainError(
        'EVENT_TYPE_MISMATCH',
        `Cal.com event type ${command.snapshot.id} is not the one service "${command.serviceId}" is linked to (${state.link?.eventTypeId ?? 'none'}); the observation was ignored.`,
      ),
    );
  }
  const fields = detectDivergence(state, command.snapshot);
  if (fields.length === 0 && state.divergence) return ok(convergedEvents(command, state));
  if (fields.length === 0 || sameDivergence(state, fields)) return ok([]);
  return ok([
    {
      type: 'CalcomDiverged',
      data: { ...eventBase(command), source: command.source, fields, snapshot: command.snapshot },
    },
  ]);
}

/**
 * Cal.com holds the platform's values again: the open divergence closes without a decision,
 * and edits made while pushes were held go out now. The sync id is derived from the stream's
 * revision, unique within the service, so the decider stays free of randomness.
 */
function convergedEvents(command: RecordCalcomObservation, state: ServiceState): ServiceEvent[] {
  const open = state.divergence?.fields ?? [];
  const events: ServiceEvent[] = [
    {
      type: 'DivergenceResolved',
      data: {
        ...eventBase(command),
        decisions: open.map((entry) => ({ ...entry, decision: 'keep_platform' as const })),
        converged: true,
      },
    },
  ];
  if (state.fields && !state.missing && heldEditsOutstanding(state, state.fields)) {
    const syncId = `${command.serviceId}-converged-${state.revision}`;
    const request = syncRequest(state, command, state.fields, syncId, 'reconcile');
    if (request) events.push(request);
  }
  return events;
}

/** The linked event type is gone (deletion webhook or N complete reconciliations without it). */
export function decideMarkCalcomEventTypeMissing(
  command: MarkCalcomEventTypeMissing,
  state: ServiceState,
): Decision {
  if (!state.exists) return err(serviceNotFound(command.serviceId));
  if (!state.link || state.link.eventTypeId !== command.eventTypeId) {
    return err(
      domainError(
        'EVENT_TYPE_MISMATCH',
        `Service "${command.serviceId}" is not linked to Cal.com event type ${command.eventTypeId}; nothing was marked missing.`,
      ),
    );
  }
  if (state.missing) return ok([]);
  return ok([
    {
      type: 'CalcomEventTypeMissing',
      data: {
        ...eventBase(command),
        ...state.link,
        evidence: command.evidence,
        consecutiveMisses: command.consecutiveMisses ?? null,
      },
    },
  ]);
}
