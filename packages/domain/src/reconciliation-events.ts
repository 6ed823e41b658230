import type { Result } from 'neverthrow';
import { z } from 'zod';
import { actorSchema, type EventSchemaError, parseEventOf, SCHEMA_VERSION } from './events.js';
import { type FieldName, fieldNames } from './fields.js';

/**
 * The events of a reconciliation run, on the stream `reconciliation-<teamId>` (docs/events.md, docs/sync.md).
 * They are facts about a run, never about a service: a `check` run writes only these.
 * Their names and payloads are public API, like the service events.
 */

export const reconciliationModes = ['check', 'apply'] as const;
export type ReconciliationMode = (typeof reconciliationModes)[number];

export const reconciliationAbortCodes = [
  /** The listing request failed (network, timeout, 4xx/5xx, rate limit). */
  'CALCOM_UNAVAILABLE',
  /** Cal.com answered 2xx with a body that is not a list of event types. */
  'LISTING_UNPARSEABLE',
  /** The listing contradicts itself (an id twice, an event type of another team). */
  'LISTING_INCONSISTENT',
  /** Zero event types while services are linked: the outage of the old system. */
  'LISTING_EMPTY',
  /** More than the configured share of linked services would go missing at once. */
  'TOO_MANY_MISSING',
  /** The event store failed while the run recorded its findings. */
  'STORE_UNAVAILABLE',
  /** The run was started but the server stopped before it ended. */
  'INTERRUPTED',
] as const;
export type ReconciliationAbortCode = (typeof reconciliationAbortCodes)[number];

export const abortReasonSchema = z.object({
  code: z.enum(reconciliationAbortCodes),
  message: z.string().min(1),
});
export type ReconciliationAbortReason = z.output<typeof abortReasonSchema>;

const fieldNameSchema = z.enum(fieldNames as [FieldName, ...FieldName[]]);
const linkedRef = { serviceId: z.string().min(1), eventTypeId: z.number().int() };

/** One thing a run found. Every linked service gets exactly one; every unlinked event type is a candidate. */
export const reconciliationFindingSchema = z.discriminatedUnion('kind', [
  /** Cal.com holds what the platform pushed (or is about to push). */
  z.object({
    kind: z.literal('confirmed'),
    ...linkedRef,
    /** Cal.com matches again while a divergence was open: apply closes it. */
    closesDivergence: z.literal(true).optional(),
  }),
  /** Cal.com holds other values; `alreadyRecorded`: the same divergence is already open. */
  z.object({
    kind: z.literal('diverged'),
    ...linkedRef,
    fields: z.array(z.object({ field: fieldNameSchema, platform: z.unknown(), calcom: z.unknown() })).min(1),
    alreadyRecorded: z.boolean(),
  }),
  /** Not listed, counted: orphaned only after `missesBeforeOrphan` consecutive complete runs. */
  z.object({
    kind: z.literal('missing'),
    ...linkedRef,
    consecutiveMisses: z.number().int().min(1),
    missesBeforeOrphan: z.number().int().min(1),
  }),
  /** Not listed for the configured number of consecutive complete runs: CalcomEventTypeMissing. */
  z.object({ kind: z.literal('orphaned'), ...linkedRef, consecutiveMisses: z.number().int().min(1) }),
  /** Recorded as missing before and still not listed: nothing new. */
  z.object({ kind: z.literal('still_orphaned'), ...linkedRef }),
  /** Recorded as missing before, listed again: an admin can reset the sync status to push again. */
  z.object({ kind: z.literal('reappeared'), ...linkedRef }),
  /** A Cal.com event type no service is linked to: an admin may import it. */
  z.object({
    kind: z.literal('import_candidate'),
    eventTypeId: z.number().int(),
    title: z.string(),
    slug: z.string(),
    lengthInMinutes: z.number().int(),
    hidden: z.boolean(),
    price: z.object({ amount: z.number().int(), currency: z.string() }),
  }),
]);
export type ReconciliationFinding = z.output<typeof reconciliationFindingSchema>;
export type ReconciliationFindingKind = ReconciliationFinding['kind'];

const count = z.number().int().min(0);
export const reconciliationCountsSchema = z.object({
  /** Services linked to an event type of the team. */
  linked: count,
  /** Event types Cal.com listed. */
  listed: count,
  confirmed: count,
  diverged: count,
  missing: count,
  orphaned: count,
  stillOrphaned: count,
  reappeared: count,
  candidates: count,
});
export type ReconciliationCounts = z.output<typeof reconciliationCountsSchema>;

/** The consecutive-miss counter of one linked service, carried from one complete apply run to the next. */
export const missCounterSchema = z.object({
  serviceId: z.string().min(1),
  eventTypeId: z.number().int(),
  consecutiveMisses: z.number().int().min(1),
});
export type MissCounter = z.output<typeof missCounterSchema>;

const runBase = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  runId: z.string().min(1),
  companyId: z.string().min(1),
  teamId: z.number().int(),
  // Repeated on every event of a run so that the counters of the last complete apply run can be
  // found by reading the end events alone.
  mode: z.enum(reconciliationModes),
  at: z.iso.datetime({ offset: true }),
};

export const reconciliationEventSchemas = {
  ReconciliationStarted: z.object({ ...runBase, actor: actorSchema }),
  ReconciliationCompleted: z.object({
    ...runBase,
    counts: reconciliationCountsSchema,
    findings: z.array(reconciliationFindingSchema),
    /** Counters after this run; in a check run, what they would be (never read back). */
    misses: z.array(missCounterSchema),
    /** Service events the run appended (always 0 in check mode). */
    serviceEventsAppended: count,
  }),
  ReconciliationAborted: z.object({
    ...runBase,
    reason: abortReasonSchema,
    /** Service events appended before the abort (only a store failure mid-run leaves any). */
    serviceEventsAppended: count,
  }),
} as const;

export type ReconciliationEventType = keyof typeof reconciliationEventSchemas;
type RunDataOf<T extends ReconciliationEventType> = z.output<(typeof reconciliationEventSchemas)[T]>;
export type ReconciliationEventOf<T extends ReconciliationEventType> = { type: T; data: RunDataOf<T> };
export type ReconciliationEvent = {
  [T in ReconciliationEventType]: ReconciliationEventOf<T>;
}[ReconciliationEventType];

export type ReconciliationStarted = ReconciliationEventOf<'ReconciliationStarted'>;
export type ReconciliationCompleted = ReconciliationEventOf<'ReconciliationCompleted'>;
export type ReconciliationAborted = ReconciliationEventOf<'ReconciliationAborted'>;

/** Validates a run event read from a store (or about to be written). */
export function parseReconciliationEvent(
  type: string,
  data: unknown,
): Result<ReconciliationEvent, EventSchemaError> {
  return parseEventOf(reconciliationEventSchemas, 'reconciliation', type, data);
}

export const RECONCILIATION_STREAM_PREFIX = 'reconciliation-';

/** The stream of a team's reconciliation runs (docs/events.md). */
export function reconciliationStreamName(teamId: number): string {
  return `${RECONCILIATION_STREAM_PREFIX}${teamId}`;
}
