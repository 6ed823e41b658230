import {
  auditSources,
  fieldPatchSchema,
  observationSources,
  registrationFieldsSchema,
  resolutionDecisions,
  serviceFieldsSchema,
  syncFailureKinds,
  syncStatuses,
} from '@calsync/domain';
import { z } from 'zod';
import type { ServiceViewBody } from '../wording/next-actions.js';

/** The HTTP contract of docs/http-contract.md as zod schemas: validation and the OpenAPI document come from here. */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable code, e.g. REVISION_CONFLICT' }),
      message: z.string().meta({ description: 'What happened and what to do next' }),
      details: z.unknown().optional(),
      requestId: z
        .string()
        .optional()
        .meta({ description: 'On a 5xx only: the request id to report; the cause is in the log under it' }),
    }),
  })
  .meta({ id: 'Error' });

const reasonSchema = z.object({ code: z.string(), message: z.string() });

export const serviceViewSchema = z
  .object({
    serviceId: z.string(),
    companyId: z.string(),
    revision: z.number().int().meta({ description: 'Send as If-Match: "<revision>" to edit optimistically' }),
    fields: serviceFieldsSchema,
    calcom: z.object({ eventTypeId: z.number().int().nullable(), teamId: z.number().int() }).nullable(),
    sync: z.object({
      status: z.enum(syncStatuses),
      direction: z.literal('platform→calcom'),
      since: z.string().nullable(),
      message: z.string(),
      lastAttemptAt: z.string().nullable(),
      lastSuccessAt: z.string().nullable(),
      lastError: z
        .object({
          kind: z.enum(syncFailureKinds),
          httpStatus: z.number().int().nullable(),
          message: z.string(),
        })
        .nullable(),
      attempts: z.number().int(),
      nextRetryAt: z.string().nullable().meta({
        description:
          'The service’s own retry time, or the end of its team’s rate-limit wait, whichever is later',
      }),
      waiting: z
        .object({
          reason: z.literal('rate_limited'),
          until: z.string(),
          message: z.string(),
          advertisedResetMs: z
            .number()
            .nullable()
            .meta({ description: 'The reset Cal.com advertised; null when none could be read' }),
          appliedResetMs: z
            .number()
            .meta({ description: 'The wait applied: advertised, capped, or the 60 s window' }),
          capped: z.boolean().meta({ description: 'The advertised reset exceeded sync.maxRateLimitResetMs' }),
        })
        .nullable()
        .meta({
          description: 'Why a pending service is not pushed right now: its team’s API key is rate-limited',
        }),
    }),
    divergence: z
      .object({
        detectedAt: z.string(),
        source: z.enum(observationSources),
        fields: z.array(z.object({ field: z.string(), platform: z.unknown(), calcom: z.unknown() })),
      })
      .nullable(),
    bookable: z.boolean(),
    notBookableReasons: z.array(reasonSchema),
    nextAction: z
      .object({ code: z.string(), message: z.string(), request: z.string().nullable() })
      .nullable(),
    registeredAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'ServiceView' });

export const auditEntrySchema = z
  .object({
    position: z.string(),
    at: z.string(),
    serviceId: z.string(),
    event: z.string(),
    actor: z.string(),
    source: z.enum(auditSources),
    changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
    summary: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const calcomLinkSchema = z.union([
  z.strictObject({ eventTypeId: z.number().int().positive() }),
  z.strictObject({ create: z.literal(true) }),
]);

export const registerBodySchema = registrationFieldsSchema
  .extend({ calcom: calcomLinkSchema.optional() })
  .meta({ id: 'RegisterService' });
export const patchBodySchema = fieldPatchSchema.meta({ id: 'EditService' });
export const linkBodySchema = z.strictObject({ eventTypeId: z.number().int().positive() });
export const unlinkBodySchema = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .meta({ description: 'Why the service stops mirroring; it goes into the audit trail' }),
  })
  .meta({ description: 'May be left out; the audit trail then says "no reason given"' });
/** The reason an unlink records when the admin gives none. */
export const NO_UNLINK_REASON = 'no reason given';
export const resolveBodySchema = z.strictObject({
  fields: z.record(z.string(), z.enum(resolutionDecisions)),
  confirm: z.boolean().optional(),
});

export const serviceParamsSchema = z.object({ id: z.string().min(1).max(200) });

/** `GET /v1/services`: filters, and the page (docs/http-contract.md, "Pagination"). */
export const listQuerySchema = z.object({
  status: z.enum(syncStatuses).optional(),
  bookable: z.enum(['true', 'false']).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(100)
    .meta({ description: 'Services per page, 1–500 (default 100)' }),
  after: z
    .string()
    .min(1)
    .optional()
    .meta({ description: '`next` of the previous page, with the same filters' }),
});

export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().min(1).optional(),
});

export const ifMatchHeaderSchema = z.object({
  'if-match': z
    .string()
    .regex(/^(W\/)?"?\d+"?$/, 'a revision such as "7"')
    .optional(),
});

/** A route's error responses, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorSchema]));
}

/**
 * The view's schema and its type (the domain's `ServiceView`, its next action worded) are one
 * shape: the compiler rejects a field added to one and not the other (in either direction).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const serviceViewSchemaMatchesType: Same<z.output<typeof serviceViewSchema>, ServiceViewBody> = true;
void serviceViewSchemaMatchesType;
