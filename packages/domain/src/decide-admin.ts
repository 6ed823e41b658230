import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';
import { calcomValuesEqual, toCalcomValues } from './calcom-mapping.js';
import type {
  CommandMeta,
  EditService,
  LinkService,
  RegisterService,
  RequestSync,
  ResetSyncStatus,
  ResolveDivergence,
  UnlinkService,
} from './commands.js';
import { type DomainError, domainError, serviceNotFound } from './errors.js';
import { SCHEMA_VERSION, type ServiceEvent, type SyncRequested } from './events.js';
import {
  applyChanges,
  defaultFields,
  diffFields,
  type FieldChange,
  fieldPatchSchema,
  isPushableField,
  registrationFieldsSchema,
  type ServiceFields,
} from './fields.js';
import type { ServiceState } from './service-state.js';

type Decision = Result<ServiceEvent[], DomainError>;

/** The fields every event of this command carries: schema version, service, company, actor, time. */
export function eventBase(command: CommandMeta) {
  return {
    schemaVersion: SCHEMA_VERSION,
    serviceId: command.serviceId,
    companyId: command.companyId,
    actor: command.actor,
    at: command.at,
  };
}

function validationFailed(what: string, error: z.ZodError): DomainError {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const list = issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; ');
  return domainError('VALIDATION_FAILED', `The ${what} are not valid (${list}). Correct them and retry.`, {
    issues,
  });
}

/** The request that makes Cal.com hold these fields, or null when the service is not linked. */
export function syncRequest(
  state: Pick<ServiceState, 'link' | 'createIn'>,
  command: CommandMeta,
  fields: ServiceFields,
  syncId: string,
  trigger: SyncRequested['data']['trigger'],
): ServiceEvent | null {
  const values = toCalcomValues(fields);
  const base = { ...eventBase(command), syncId, trigger, values };
  if (state.link) {
    return {
      type: 'SyncRequested',
      data: { ...base, operation: 'update', teamId: state.link.teamId, eventTypeId: state.link.eventTypeId },
    };
  }
  if (state.createIn !== null) {
    return {
      type: 'SyncRequested',
      data: { ...base, operation: 'create', teamId: state.createIn, eventTypeId: null },
    };
  }
  return null;
}

/** Whether pushes are held until an admin acts (a divergence or a missing event type). */
function pushesHeld(state: ServiceState): boolean {
  return state.divergence !== null || state.missing !== null;
}

/** A new service, validated, with defaults; linking or creating its event type requests the first push. */
export function decideRegisterService(command: RegisterService, state: ServiceState): Decision {
  if (state.exists) {
    return err(
      domainError(
        'SERVICE_ALREADY_EXISTS',
        `Service "${command.serviceId}" already exists.`,
        undefined,
        command.serviceId,
      ),
    );
  }
  const parsed = registrationFieldsSchema.safeParse(command.fields);
  if (!parsed.success) return err(validationFailed('service fields', parsed.error));
  const fields = { ...defaultFields, ...parsed.data } as ServiceFields;
  const events: ServiceEvent[] = [
    {
      type: 'ServiceRegistered',
      data: { ...eventBase(command), fields, origin: command.origin ?? 'platform' },
    },
  ];
  const link = command.calcom;
  if (!link) return ok(events);
  if ('eventTypeId' in link) {
    events.push({ type: 'CalcomLinked', data: { ...eventBase(command), ...link } });
    const request = syncRequest({ link, createIn: null }, command, fields, command.syncId, 'link');
    if (request) events.push(request);
  } else {
    const request = syncRequest(
      { link: null, createIn: link.teamId },
      command,
      fields,
      command.syncId,
      'link',
    );
    if (request) events.push(request);
  }
  return ok(events);
}

/** Only real changes are recorded; a pushable change requests a sync unless pushes are held. */
export function decideEditService(command: EditService, state: ServiceState): Decision {
  if (!state.exists || !state.fields) return err(serviceNotFound(command.serviceId));
  if (command.expectedRevision !== undefined && command.expectedRevision !== state.revision) {
    return err(
      domainError(
        'REVISION_CONFLICT',
        `The service changed since revision ${command.expectedRevision}; it is now at revision ${state.revision}.`,
        { expectedRevision: command.expectedRevision, actualRevision: state.revision },
        command.serviceId,
      ),
    );
  }
  const parsed = fieldPatchSchema.safeParse(command.patch);
  if (!parsed.success) return err(validationFailed('changed fields', parsed.error));
  const changes = diffFields(state.fields, parsed.data);
  if (changes.length === 0) return ok([]);
  return ok(editEvents(command, state, changes, 'edit', command.syncId));
}

/** A ServiceEdited and, when a pushable field changed and pushes are not held, its sync. */
function editEvents(
  command: CommandMeta,
  state: ServiceState,
  changes: FieldChange[],
  reason: 'edit' | 'accept_calcom',
  syncId: string,
): ServiceEvent[] {
  const events: ServiceEvent[] = [
    { type: 'ServiceEdited', data: { ...eventBase(command), changes, reason } },
  ];
  if (!state.fields || pushesHeld(state) || !changes.some((change) => isPushableField(change.field))) {
    return events;
  }
  const request = syncRequest(state, command, applyChanges(state.fields, changes), syncId, 'edit');
  if (request) events.push(request);
  return events;
}

/** Links (or relinks) the service to an event type and pushes the platform’s values to it. */
export function decideLinkService(command: LinkService, state: ServiceState): Decision {
  if (!state.exists || !state.fields) return err(serviceNotFound(command.serviceId));
  const link = { teamId: command.teamId, eventTypeId: command.eventTypeId };
  if (
    state.link?.eventTypeId === link.eventTypeId &&
    state.link.teamId === link.teamId &&
    state.missing === null
  ) {
    return ok([]);
  }
  const events: ServiceEvent[] = [{ type: 'CalcomLinked', data: { ...eventBase(command), ...link } }];
  const request = syncRequest({ link, createIn: null }, command, state.fields, command.syncId, 'link');
  if (request) events.push(request);
  return ok(events);
}

/** Stops mirroring the service; its pending push is dropped. */
export function decideUnlinkService(command: UnlinkService, state: ServiceState): Decision {
  if (!state.exists) return err(serviceNotFound(command.serviceId));
  if (!state.link) return err(notLinked(command.serviceId));
  return ok([
    { type: 'CalcomUnlinked', data: { ...eventBase(command), ...state.link, reason: command.reason } },
  ]);
}

function notLinked(serviceId: string): DomainError {
  return domainError(
    'NOT_LINKED',
    `Service "${serviceId}" is not linked to a Cal.com event type.`,
    undefined,
    serviceId,
  );
}

/** An admin’s “push now”: refused while a divergence is open or the event type is missing. */
export function decideRequestSync(command: RequestSync, state: ServiceState): Decision {
  if (!state.exists || !state.fields) return err(serviceNotFound(command.serviceId));
  if (state.divergence) {
    return err(
      domainError(
        'DIVERGENCE_OPEN',
        'Cal.com holds values the platform did not push; pushing now would overwrite them unseen.',
        { fields: state.divergence.fields },
        command.serviceId,
      ),
    );
  }
  if (state.missing) {
    return err(
      domainError(
        'EVENT_TYPE_MISSING',
        `Cal.com event type ${state.missing.eventTypeId} was not found. Link the service to an existing event type, or reset its sync status to try again.`,
      ),
    );
  }
  const request = syncRequest(state, command, state.fields, command.syncId, command.trigger ?? 'manual');
  return request ? ok([request]) : err(notLinked(command.serviceId));
}

/** An admin’s decision for every diverged field; accepting Cal.com’s values needs `confirm`. */
export function decideResolveDivergence(command: ResolveDivergence, state: ServiceState): Decision {
  if (!state.exists || !state.fields) return err(serviceNotFound(command.serviceId));
  const open = state.divergence;
  if (!open) {
    return err(
      domainError(
        'NO_OPEN_DIVERGENCE',
        'This service has no open divergence, so there is nothing to resolve.',
      ),
    );
  }
  const divergent: string[] = open.fields.map((entry) => entry.field);
  const missing = divergent.filter((field) => !(field in command.decisions));
  const unknown = Object.keys(command.decisions).filter((field) => !divergent.includes(field));
  if (missing.length > 0 || unknown.length > 0) {
    return err(
      domainError(
        'DECISIONS_INCOMPLETE',
        `Decide every diverged field, and only those: ${divergent.join(', ')}.` +
          (missing.length ? ` Missing: ${missing.join(', ')}.` : '') +
          (unknown.length ? ` Not diverged: ${unknown.join(', ')}.` : ''),
        { diverged: divergent, missing, unknown },
      ),
    );
  }
  const accepted = open.fields.filter((entry) => command.decisions[entry.field] === 'accept_calcom');
  if (accepted.length > 0 && !command.confirm) {
    return err(
      domainError(
        'CONFIRMATION_REQUIRED',
        `Accepting Cal.com's values overwrites the platform's ${accepted.map((entry) => entry.field).join(', ')}. Send "confirm": true to do so.`,
        { fields: accepted.map((entry) => entry.field) },
      ),
    );
  }
  const decisions = open.fields.map((entry) => ({
    field: entry.field,
    decision: command.decisions[entry.field] as 'keep_platform' | 'accept_calcom',
    platform: entry.platform,
    calcom: entry.calcom,
  }));
  const events: ServiceEvent[] = [{ type: 'DivergenceResolved', data: { ...eventBase(command), decisions } }];
  const changes = diffFields(
    state.fields,
    Object.fromEntries(accepted.map((entry) => [entry.field, entry.calcom])) as Partial<ServiceFields>,
  );
  if (changes.length > 0) {
    events.push({ type: 'ServiceEdited', data: { ...eventBase(command), changes, reason: 'accept_calcom' } });
  }
  const resolved = applyChanges(state.fields, changes);
  const needsPush =
    state.missing === null &&
    (decisions.some((entry) => isPushableField(entry.field)) || heldEditsOutstanding(state, resolved));
  const request = needsPush ? syncRequest(state, command, resolved, command.syncId, 'resolution') : null;
  if (request) events.push(request);
  return ok(events);
}

/**
 * Whether edits made while pushes were held are not on their way to Cal.com yet: the values
 * Cal.com will hold (the waiting request's, else the last confirmed) differ from the platform's.
 */
export function heldEditsOutstanding(state: ServiceState, fields: ServiceFields): boolean {
  const planned = state.sync.requested?.values ?? state.lastPushed;
  return planned !== null && !calcomValuesEqual(planned, toCalcomValues(fields));
}

/** Clears a final error or a missing event type and asks for a fresh push. */
export function decideResetSyncStatus(command: ResetSyncStatus, state: ServiceState): Decision {
  if (!state.exists || !state.fields) return err(serviceNotFound(command.serviceId));
  if (state.status !== 'error' && state.status !== 'orphaned') {
    return err(
      domainError(
        'NOTHING_TO_RESET',
        `The sync status is "${state.status}", not "error" or "orphaned", so there is nothing to reset.`,
      ),
    );
  }
  const reset: ServiceEvent = {
    type: 'SyncStatusReset',
    data: {
      ...eventBase(command),
      previousStatus: state.status,
      previousError: state.sync.lastError?.message ?? null,
    },
  };
  const request = syncRequest(state, command, state.fields, command.syncId, 'manual');
  return ok(request ? [reset, request] : [reset]);
}
