/** Expected rejections of a command, each with a stable code the HTTP layer maps to a status. */
export type DomainErrorCode =
  | 'SERVICE_NOT_FOUND'
  | 'SERVICE_ALREADY_EXISTS'
  | 'VALIDATION_FAILED'
  | 'REVISION_CONFLICT'
  | 'NOT_LINKED'
  | 'EVENT_TYPE_MISMATCH'
  | 'DIVERGENCE_OPEN'
  | 'EVENT_TYPE_MISSING'
  | 'NO_OPEN_DIVERGENCE'
  | 'DECISIONS_INCOMPLETE'
  | 'CONFIRMATION_REQUIRED'
  | 'NOTHING_TO_RESET';

/**
 * A refusal in the domain's words. The HTTP layer adds the request that helps next (a route,
 * If-Match), so the domain names no transport (docs/http-contract.md#codes).
 */
export interface DomainError {
  code: DomainErrorCode;
  /** What happened and why, and what to do next where no request is needed for it. */
  message: string;
  /** Facts for the caller, in the error body. */
  details?: unknown;
  /** The service refused: a fact for the words the HTTP layer adds, never in the error body. */
  serviceId?: string;
}

/** A refusal with its stable code and a message that says what happened. */
export function domainError(
  code: DomainErrorCode,
  message: string,
  details?: unknown,
  serviceId?: string,
): DomainError {
  return {
    code,
    message,
    ...(details === undefined ? {} : { details }),
    ...(serviceId === undefined ? {} : { serviceId }),
  };
}

/** The refusal for a service that does not exist, or belongs to another company. */
export function serviceNotFound(serviceId: string): DomainError {
  return domainError(
    'SERVICE_NOT_FOUND',
    `Service "${serviceId}" does not exist in this company.`,
    undefined,
    serviceId,
  );
}
