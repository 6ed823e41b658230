import {
  type Actor,
  type CalcomDiverged,
  type CalcomEventTypeMissing,
  type CalcomLinked,
  type CalcomSnapshot,
  type CalcomUnlinked,
  type DivergenceResolved,
  defaultFields,
  type FieldChange,
  type ObservationSource,
  SCHEMA_VERSION,
  type ServiceEdited,
  type ServiceFields,
  type ServiceRegistered,
  type SyncedFields,
  type SyncFailed,
  type SyncFailureKind,
  type SyncRequested,
  type SyncStatusReset,
  type SyncSucceeded,
  toCalcomValues,
} from '../src/index.js';

/**
 * The facts and commands of one service, "Herrenhaarschnitt" of company "acme", mirrored by
 * event type 1001 of Cal.com team 42. Every builder takes overrides so a test names only
 * what it is about.
 */

export const SERVICE_ID = 'svc-haircut';
export const COMPANY_ID = 'acme';
export const TEAM_ID = 42;
export const EVENT_TYPE_ID = 1001;
export const ADMIN: Actor = 'admin:alice';

const epoch = Date.UTC(2025, 2, 1, 9, 0, 0);
/** The time `minute` minutes after the first fact of every scenario. */
export function minute(minute: number): string {
  return new Date(epoch + minute * 60_000).toISOString();
}

export const haircut: ServiceFields = {
  ...defaultFields,
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};

/** The haircut with some fields changed. */
export function haircutWith(changes: Partial<ServiceFields>): ServiceFields {
  return { ...haircut, ...changes };
}

export interface Meta {
  actor?: Actor;
  at?: string;
}

function base(meta: Meta, defaultActor: Actor) {
  return {
    schemaVersion: SCHEMA_VERSION,
    serviceId: SERVICE_ID,
    companyId: COMPANY_ID,
    actor: meta.actor ?? defaultActor,
    at: meta.at ?? minute(0),
  };
}

// ---- events (the "given" of a scenario) ----

export function registered(fields: ServiceFields = haircut, meta: Meta = {}): ServiceRegistered {
  return { type: 'ServiceRegistered', data: { ...base(meta, ADMIN), fields, origin: 'platform' } };
}

export function edited(changes: FieldChange[], meta: Meta = {}): ServiceEdited {
  return { type: 'ServiceEdited', data: { ...base(meta, ADMIN), changes, reason: 'edit' } };
}

export function linked(eventTypeId = EVENT_TYPE_ID, meta: Meta = {}): CalcomLinked {
  return { type: 'CalcomLinked', data: { ...base(meta, ADMIN), teamId: TEAM_ID, eventTypeId } };
}

export function unlinked(eventTypeId = EVENT_TYPE_ID, meta: Meta = {}): CalcomUnlinked {
  return {
    type: 'CalcomUnlinked',
    data: { ...base(meta, ADMIN), teamId: TEAM_ID, eventTypeId, reason: 'moved to another team' },
  };
}

interface RequestOptions extends Meta {
  trigger?: SyncRequested['data']['trigger'];
  operation?: 'update' | 'create';
  eventTypeId?: number;
}

export function syncRequested(
  syncId: string,
  fields: SyncedFields = haircut,
  options: RequestOptions = {},
): SyncRequested {
  const operation = options.operation ?? 'update';
  return {
    type: 'SyncRequested',
    data: {
      ...base(options, ADMIN),
      syncId,
      trigger: options.trigger ?? 'edit',
      operation,
      teamId: TEAM_ID,
      eventTypeId: operation === 'create' ? null : (options.eventTypeId ?? EVENT_TYPE_ID),
      values: toCalcomValues(fields),
    },
  };
}

export function syncSucceeded(
  syncId: string,
  fields: SyncedFields = haircut,
  options: Meta & { attempts?: number; eventTypeId?: number } = {},
): SyncSucceeded {
  return {
    type: 'SyncSucceeded',
    data: {
      ...base(options, 'system:sync'),
      syncId,
      eventTypeId: options.eventTypeId ?? EVENT_TYPE_ID,
      pushed: toCalcomValues(fields),
      attempts: options.attempts ?? 1,
      durationMs: 120,
    },
  };
}

interface FailureOptions extends Meta {
  attempt?: number;
  retryAt?: string | null;
  httpStatus?: number | null;
  message?: string;
}

export function syncFailed(syncId: string, kind: SyncFailureKind, options: FailureOptions = {}): SyncFailed {
  const retryAt = options.retryAt === undefined ? minute(30) : options.retryAt;
  return {
    type: 'SyncFailed',
    data: {
      ...base(options, 'system:sync'),
      syncId,
      kind,
      httpStatus: options.httpStatus === undefined ? 503 : options.httpStatus,
      message: options.message ?? 'Service Unavailable',
      attempt: options.attempt ?? 1,
      retryAt,
      final: retryAt === null,
    },
  };
}

/** The state of a service that Cal.com confirmed holding the haircut: status synced. */
export function syncedHaircut(
  fields: ServiceFields = haircut,
): [ServiceRegistered, CalcomLinked, SyncRequested, SyncSucceeded] {
  return [
    registered(fields),
    linked(),
    syncRequested('sync-link', fields, { trigger: 'link' }),
    syncSucceeded('sync-link', fields),
  ];
}

export function diverged(
  fields: CalcomDiverged['data']['fields'],
  snapshot: CalcomSnapshot,
  meta: Meta & { source?: ObservationSource } = {},
): CalcomDiverged {
  return {
    type: 'CalcomDiverged',
    data: {
      ...base(meta, 'calcom:reconciliation'),
      source: meta.source ?? 'reconciliation',
      fields,
      snapshot,
    },
  };
}

export function divergenceResolved(
  decisions: DivergenceResolved['data']['decisions'],
  meta: Meta = {},
): DivergenceResolved {
  return { type: 'DivergenceResolved', data: { ...base(meta, ADMIN), decisions } };
}

export function eventTypeMissing(
  evidence: CalcomEventTypeMissing['data']['evidence'] = 'reconciliation',
  meta: Meta = {},
): CalcomEventTypeMissing {
  return {
    type: 'CalcomEventTypeMissing',
    data: {
      ...base(meta, 'calcom:reconciliation'),
      teamId: TEAM_ID,
      eventTypeId: EVENT_TYPE_ID,
      evidence,
      consecutiveMisses: evidence === 'reconciliation' ? 3 : null,
    },
  };
}

export function syncStatusReset(previousStatus: string, meta: Meta = {}): SyncStatusReset {
  return {
    type: 'SyncStatusReset',
    data: { ...base(meta, ADMIN), previousStatus, previousError: null },
  };
}

// ---- what Cal.com shows ----

/** Cal.com's event type holding these fields, price in Cal.com's lower-case currency. */
export function calcomShows(
  fields: SyncedFields = haircut,
  overrides: Partial<CalcomSnapshot> = {},
): CalcomSnapshot {
  return {
    ...toCalcomValues(fields),
    id: EVENT_TYPE_ID,
    teamId: TEAM_ID,
    price: fields.price.amount,
    currency: fields.price.currency.toLowerCase(),
    ...overrides,
  };
}
