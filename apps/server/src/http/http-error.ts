/**
 * Every stable error code calsync answers with, and its HTTP status (docs/http-contract.md).
 * The table is checked to be exhaustive: a new code does not compile until it has a status.
 */
export const statusOfCode = {
  // Application errors (the use cases' error values).
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
  INVALID_POSITION_TOKEN: 400,
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
  CALCOM_UNAVAILABLE: 503,
  PROJECTION_BEHIND: 503,
  // The HTTP shell's own answers.
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  BAD_URL: 400,
  INVALID_JSON: 400,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  TOO_MANY_FAILED_AUTH: 429,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof statusOfCode;

/** The codes answered with a 5xx status, derived from the table above. */
export type ServerErrorCode = {
  [C in ErrorCode]: (typeof statusOfCode)[C] extends 500 | 501 | 502 | 503 | 504 ? C : never;
}[ErrorCode];

/**
 * The one message a 5xx body carries per code (docs/http-contract.md): fixed, so no cause,
 * driver text or upstream answer reaches a client; the cause is logged under the request id
 * the body names. Complete by construction: a new 5xx code does not compile without one.
 */
export const serverErrorMessage = {
  INTERNAL: 'Something went wrong on our side. Retry; if it persists, report the request id of this answer.',
  STORE_UNAVAILABLE:
    'The event store did not answer, so the request could not be completed. Retry shortly (a change retried with the same If-Match is safe); GET /health/ready answers 200 once the store is back. If it persists, report the request id of this answer.',
  PROJECTION_BEHIND:
    'This instance has not yet caught up with the change you are asking about (it reads what another instance wrote a moment ago). Retry in a second; if it persists, GET /health/ready on this instance says why, and report the request id of this answer.',
  CALCOM_UNAVAILABLE:
    'Cal.com did not answer a request that needs it live, so nothing was changed. Retry shortly; if it persists, check the team’s Cal.com API key and report the request id of this answer.',
} as const satisfies Record<ServerErrorCode, string>;

export function isServerErrorCode(code: ErrorCode): code is ServerErrorCode {
  return statusOfCode[code] >= 500;
}

/** An error with a stable code that the error handler turns into the contract's envelope. */
export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Headers the answer carries, such as Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusOfCode[code];
  }
}

/** The contract's error body: `{"error":{"code","message","details"?,"requestId"?}}` (`requestId`: 5xx only). */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: unknown; requestId?: string };
}

export function errorEnvelope(code: ErrorCode, message: string, details?: unknown): ErrorEnvelope {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** A 5xx body: the code's fixed message and the request id, never details or a cause. */
export function serverErrorEnvelope(code: ServerErrorCode, requestId: string): ErrorEnvelope {
  return { error: { code, message: serverErrorMessage[code], requestId } };
}

/** Maps an application error value ({code, message, details?}) to an HttpError. */
export function toHttpError(error: { code: ErrorCode; message: string; details?: unknown }): HttpError {
  return new HttpError(error.code, error.message, error.details);
}
