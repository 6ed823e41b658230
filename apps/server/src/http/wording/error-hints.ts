import type { DomainErrorCode } from '@calsync/domain';
import type { Result } from 'neverthrow';
import { type ErrorCode, type HttpError, toHttpError } from '../http-error.js';

/** An expected failure as a use case returns it; `serviceId` is a fact for the words, never shown. */
export interface FailureValue {
  code: ErrorCode;
  message: string;
  details?: unknown;
  serviceId?: string;
}

function revisionOf(details: unknown): number | null {
  if (typeof details !== 'object' || details === null || !('actualRevision' in details)) return null;
  return typeof details.actualRevision === 'number' ? details.actualRevision : null;
}

/**
 * The request that helps next, for the domain's refusals that need one: the domain says what
 * happened, the HTTP layer names the route and header (docs/http-contract.md#codes).
 */
const hints: Partial<Record<DomainErrorCode, (error: FailureValue) => string | null>> = {
  SERVICE_NOT_FOUND: () => 'Check the id, or list services with GET /v1/services.',
  SERVICE_ALREADY_EXISTS: (error) => `Edit it with PATCH /v1/services/${error.serviceId ?? ':id'} instead.`,
  REVISION_CONFLICT: (error) => {
    const revision = revisionOf(error.details);
    return revision === null
      ? 'Reload it, re-apply your edit and retry with the current revision in If-Match.'
      : `Reload it, re-apply your edit and retry with If-Match: "${revision}".`;
  },
  NOT_LINKED: (error) => `Link it with POST /v1/services/${error.serviceId ?? ':id'}/link first.`,
  DIVERGENCE_OPEN: () => 'Resolve the divergence first (POST /v1/services/:id/divergence/resolve).',
};

/** The failure as the API answers it: the domain's message and, where one helps, the request to make next. */
export function withNextStep(error: FailureValue): Omit<FailureValue, 'serviceId'> {
  const { serviceId: _serviceId, ...answer } = error;
  const hint = hints[error.code as DomainErrorCode]?.(error) ?? null;
  return hint === null ? answer : { ...answer, message: `${error.message} ${hint}` };
}

/**
 * The HttpError a failure answers with. `details` replaces the failure's own in the body; the
 * words are made from the failure's facts first (a conflict's revision, say).
 */
export function httpErrorOf(error: FailureValue, override?: { details: unknown }): HttpError {
  const answer = withNextStep(error);
  return toHttpError(override ? { ...answer, details: override.details } : answer);
}

/** A use case's value, or the HttpError its failure answers with. */
export function unwrap<T>(result: Result<T, FailureValue>): T {
  if (result.isErr()) throw httpErrorOf(result.error);
  return result.value;
}
