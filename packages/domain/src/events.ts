import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { calcomSnapshotSchema, calcomValuesSchema } from './calcom-mapping.js';
import { type FieldName, fieldNames, serviceFieldsSchema } from './fields.js';

/**
 * The events of a Service stream (docs/events.md). Their names and payloads are public API:
 * change a payload only by adding a schema version and an upcaster below.
 */

export const actorSchema = z
  .string()
  .regex(
    /^(admin:[^\s]{1,200}|calcom:webhook|calcom:reconciliation|system:sync)$/,
    'admin:<id>, calcom:webhook, calcom:reconciliation or system:sync',
  );
export type Actor = z.output<typeof actorSchema>;

export const SCHEMA_VERSION = 1 as const;

const base = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  serviceId: z.string().min(1),
  companyId: z.string().min(1),
  actor: actorSchema,
  at: z.iso.datetime({ offset: true }),
};

const fieldNameSchema = z.enum(fieldNames as [FieldName, ...FieldName[]]);
const fieldChangeSchema = z.object({ field: fieldNameSchema, from: z.unknown(), to: z.unknown() });

export const syncTriggers = ['edit', 'manual', 'link', 'resolution', 'reconcile'] as const;
export const syncFailureKinds = [
  'rate_limited',
  'transient',
  'rejected',
  'unauthorized',
  'not_found',
] as const;
export type SyncFailureKind = (typeof syncFailureKinds)[number];
export const observationSources = ['webhook', 'reconciliation'] as const;
export type ObservationSource = (typeof observationSources)[number];
export const serviceOrigins = ['platform', 'calcom_import'] as const;
export type ServiceOrigin = (typeof serviceOrigins)[number];
export const syncOperations = ['update', 'create'] as const;
export type SyncOperation = (typeof syncOperations)[number];
export const missingEvidence = ['push_not_found', 'webhook_deleted', 'reconciliation'] as const;
export type MissingEvidence = (typeof missingEvidence)[number];
export const resolutionDecisions = ['keep_platform', 'accept_calcom'] as const;
export type ResolutionDecision = (typeof resolutionDecisions)[number];

const calcomRef = { teamId: z.number().int(), eventTypeId: z.number().int() };

export const serviceEventSchemas = {
  ServiceRegistered: z.object({
    ...base,
    fields: serviceFieldsSchema,
    origin: z.enum(serviceOrigins),
  }),
  ServiceEdited: z.object({
    ...base,
    changes: z.array(fieldChangeSchema).min(1),
    reason: z.enum(['edit', 'accept_calcom']),
  }),
  CalcomLinked: z.object({ ...base, ...calcomRef }),
  CalcomUnlinked: z.object({ ...base, ...calcomRef, reason: z.string() }),
  SyncRequested: z.object({
    ...base,
    syncId: z.string().min(1),
    trigger: z.enum(syncTriggers),
    operation: z.enum(syncOperations),
    teamId: z.number().int(),
    eventTypeId: z.number().int().nullable(),
    values: calcomValuesSchema,
  }),
  SyncSucceeded: z.object({
    ...base,
    syncId: z.string().min(1),
    eventTypeId: z.number().int(),
    pushed: calcomValuesSchema,
    attempts: z.number().int().min(1),
    durationMs: z.number().int().min(0),
  }),
  SyncFailed: z.object({
    ...base,
    syncId: z.string().min(1),
    kind: z.enum(syncFailureKinds),
    httpStatus: z.number().int().nullable(),
    message: z.string(),
    attempt: z.number().int().min(1),
    retryAt: z.iso.datetime({ offset: true }).nullable(),
    final: z.boolean(),
  }),
  CalcomDiverged: z.object({
    ...base,
    source: z.enum(observationSources),
    fields: z.array(z.object({ field: fieldNameSchema, platform: z.unknown(), calcom: z.unknown() })).min(1),
    snapshot: calcomSnapshotSchema,
  }),
  DivergenceResolved: z.object({
    ...base,
    decisions: z.array(
      z.object({
        field: fieldNameSchema,
        decision: z.enum(resolutionDecisions),
        platform: z.unknown(),
        calcom: z.unknown(),
      }),
    ),
    /**
     * Set when nobody decided: Cal.com was seen holding the platform's values again (for example
     * after its price was changed in Cal.com's payment settings), so the divergence closed.
     */
    converged: z.literal(true).optional(),
  }),
  CalcomEventTypeMissing: z.object({
    ...base,
    ...calcomRef,
    evidence: z.enum(missingEvidence),
    consecutiveMisses: z.number().int().min(0).nullable(),
  }),
  SyncStatusReset: z.object({ ...base, previousStatus: z.string(), previousError: z.string().nullable() }),
} as const;

export type ServiceEventType = keyof typeof serviceEventSchemas;
export const serviceEventTypes = Object.keys(serviceEventSchemas) as ServiceEventType[];

type DataOf<T extends ServiceEventType> = z.output<(typeof serviceEventSchemas)[T]>;
export type ServiceEventOf<T extends ServiceEventType> = { type: T; data: DataOf<T> };
export type ServiceEvent = { [T in ServiceEventType]: ServiceEventOf<T> }[ServiceEventType];

export type ServiceRegistered = ServiceEventOf<'ServiceRegistered'>;
export type ServiceEdited = ServiceEventOf<'ServiceEdited'>;
export type CalcomLinked = ServiceEventOf<'CalcomLinked'>;
export type CalcomUnlinked = ServiceEventOf<'CalcomUnlinked'>;
export type SyncRequested = ServiceEventOf<'SyncRequested'>;
export type SyncSucceeded = ServiceEventOf<'SyncSucceeded'>;
export type SyncFailed = ServiceEventOf<'SyncFailed'>;
export type CalcomDiverged = ServiceEventOf<'CalcomDiverged'>;
export type DivergenceResolved = ServiceEventOf<'DivergenceResolved'>;
export type CalcomEventTypeMissing = ServiceEventOf<'CalcomEventTypeMissing'>;
export type SyncStatusReset = ServiceEventOf<'SyncStatusReset'>;

/** The fields every event carries. */
export type EventBase = z.output<z.ZodObject<typeof base>>;

/** Whether a stored event type is one of the service stream’s. */
export function isServiceEventType(type: string): type is ServiceEventType {
  return type in serviceEventSchemas;
}

/**
 * The upcaster of every versioned family: turns a payload of an older schema version into the
 * current one. Version 1 is the first, so there is nothing to upcast yet; a payload without
 * a version is treated as version 1.
 */
function upcast(data: Record<string, unknown>): Record<string, unknown> {
  return data.schemaVersion === undefined ? { ...data, schemaVersion: SCHEMA_VERSION } : data;
}

export interface EventSchemaError {
  code: 'EVENT.INVALID';
  type: string;
  message: string;
  issues: Array<{ path: string; message: string }>;
}

/** One event of a family: its type and its payload as the family's schema outputs it. */
export type EventOfFamily<Schemas extends Record<string, z.ZodType>> = {
  [T in keyof Schemas]: { type: T; data: z.output<Schemas[T]> };
}[keyof Schemas];

/**
 * Validates a payload against the schema of its event type within one family of events
 * (service, reconciliation, …). `family` names the family in the message of an unknown type.
 */
export function parseEventOf<Schemas extends Record<string, z.ZodType>>(
  schemas: Schemas,
  family: string,
  type: string,
  data: unknown,
): Result<EventOfFamily<Schemas>, EventSchemaError> {
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) {
    return err({
      code: 'EVENT.INVALID',
      type,
      message: `Unknown ${family} event type "${type}".`,
      issues: [],
    });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    return err({
      code: 'EVENT.INVALID',
      type,
      message: `Event ${type} does not match its schema.`,
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return ok({ type, data: parsed.data } as {
    type: keyof Schemas;
    data: z.output<Schemas[keyof Schemas]>;
  } as never);
}

/**
 * Validates an event of a versioned family (service, team sync, …) read from a store or about to
 * be written: a payload of a known type is upcast first (no version: version 1), then checked.
 */
export function parseVersionedEvent<Schemas extends Record<string, z.ZodType>>(
  schemas: Schemas,
  family: string,
  type: string,
  data: unknown,
): Result<EventOfFamily<Schemas>, EventSchemaError> {
  const raw =
    Object.hasOwn(schemas, type) && typeof data === 'object' && data !== null
      ? upcast(data as Record<string, unknown>)
      : data;
  return parseEventOf(schemas, family, type, raw);
}

/** Validates an event read from a store (or about to be written), upcasting old versions. */
export function parseServiceEvent(type: string, data: unknown): Result<ServiceEvent, EventSchemaError> {
  return parseVersionedEvent(serviceEventSchemas, 'service', type, data);
}

/** The stream name of a service (docs/events.md). */
export function serviceStreamName(serviceId: string): string {
  return `service-${serviceId}`;
}

export const SERVICE_STREAM_PREFIX = 'service-';
