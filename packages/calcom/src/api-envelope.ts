import { z } from 'zod';

/** `{"status":"success","data":…}`, the wrapper of every 2xx answer (docs/calcom.md). */
export const successEnvelopeSchema = z.looseObject({
  status: z.literal('success'),
  data: z.unknown(),
});

const validationErrorSchema = z.looseObject({
  property: z.string().optional(),
  constraints: z.record(z.string(), z.string()).optional(),
});

/** `{"status":"error","timestamp","path","error":{code,message,details}}` (docs/calcom.md). */
export const errorEnvelopeSchema = z.looseObject({
  status: z.literal('error'),
  timestamp: z.string().optional(),
  path: z.string().optional(),
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type CalcomErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

const validationDetailsSchema = z.looseObject({ errors: z.array(validationErrorSchema) });

/**
 * The most useful message a failed response carries. A validation failure's top-level message is the
 * useless "Bad Request Exception", so the field constraints are spelled out instead.
 */
export function errorMessageFromBody(body: unknown, status: number, statusText: string): string {
  const envelope = errorEnvelopeSchema.safeParse(body);
  if (!envelope.success) return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const { message, details } = envelope.data.error;
  const validation = validationDetailsSchema.safeParse(details);
  if (!validation.success) return message;
  const constraints = validation.data.errors.flatMap((e) =>
    e.constraints ? Object.values(e.constraints) : e.property ? [`${e.property} is invalid`] : [],
  );
  return constraints.length > 0 ? constraints.join('; ') : message;
}
