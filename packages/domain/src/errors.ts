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

export interface DomainError {
  code: DomainErrorCode;
  /** What happened, why, and what to do next. */
  message: string;
  details?: unknown;
}

/** A refusal with its stable code and a message that says what to do. */
export function domainError(code: DomainErrorCode, message: string, details?: unknown): DomainError {
  return details === undefined ? { code, message } : { code, message, details };
}

/** The refusal for a service that does not exist, or belongs to another company. */
export function serviceNotFound(serviceId: string): DomainError {
  return domainError(
    'SERVICE_NOT_FOUND',
    `Service "${serviceId}" does not exist in this company. Check the id, or list services with GET /v1/services.`,
  );
}
