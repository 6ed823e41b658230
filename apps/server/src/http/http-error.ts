/** An error with a stable code that the error handler turns into the envelope of SPEC §9. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The HTTP status of each stable code an application error can carry. */
const statusOfCode: Record<string, number> = {
  SERVICE_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  CANDIDATE_NOT_FOUND: 404,
  SERVICE_ALREADY_EXISTS: 409,
  ALREADY_IMPORTED: 409,
  SLUG_CONFLICT: 409,
  VALIDATION_FAILED: 400,
  DECISIONS_INCOMPLETE: 400,
  CONFIRMATION_REQUIRED: 400,
  INVALID_CURSOR: 400,
  REVISION_CONFLICT: 409,
  NOT_LINKED: 409,
  EVENT_TYPE_MISMATCH: 409,
  DIVERGENCE_OPEN: 409,
  EVENT_TYPE_MISSING: 409,
  NO_OPEN_DIVERGENCE: 409,
  NOTHING_TO_RESET: 409,
  CALCOM_NOT_CONFIGURED: 409,
  WEBHOOK_UNAUTHENTICATED: 401,
  WEBHOOK_MALFORMED: 400,
  STORE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  CALCOM_UNAVAILABLE: 503,
};

/** Maps an application error value ({code, message, details?}) to an HttpError. */
export function toHttpError(error: { code: string; message: string; details?: unknown }): HttpError {
  return new HttpError(statusOfCode[error.code] ?? 500, error.code, error.message, error.details);
}
