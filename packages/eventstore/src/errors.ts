import type {
  EngineFailed,
  ExpectedRevision,
  InvalidPosition,
  StoreUnavailable,
  WrongExpectedRevision,
} from './port.js';

/** Describes an expectation in a person's words, for error messages and logs. */
export const describeExpectedRevision = (expected: ExpectedRevision): string => {
  switch (expected.kind) {
    case 'any':
      return 'any revision';
    case 'no_stream':
      return 'no stream';
    case 'stream_exists':
      return 'an existing stream';
    case 'exact':
      return `revision ${expected.revision}`;
  }
};

export const wrongExpectedRevision = (
  streamName: string,
  expected: ExpectedRevision,
  actual: bigint,
): WrongExpectedRevision => ({
  code: 'EVENTSTORE.WRONG_EXPECTED_REVISION',
  streamName,
  expected,
  actual,
  message: `Stream ${streamName} was expected at ${describeExpectedRevision(expected)} but is ${
    actual < 0n ? 'missing' : `at revision ${actual}`
  }`,
});

/** The store could not be reached. `message` is ours; the driver's text stays in `cause`. */
export const storeUnavailable = (message: string, cause?: unknown): StoreUnavailable => ({
  code: 'EVENTSTORE.UNAVAILABLE',
  message,
  cause,
});

/** The engine answered with an error. `message` is ours; the driver's text stays in `cause`. */
export const engineFailed = (message: string, cause?: unknown): EngineFailed => ({
  code: 'EVENTSTORE.ENGINE_FAILED',
  message,
  cause,
});

/** A position this store did not issue. The token is kept for logs, never put in the message. */
export const invalidPosition = (position: string, why: 'unparsable' | 'unknown'): InvalidPosition => ({
  code: 'EVENTSTORE.INVALID_POSITION',
  position,
  message:
    why === 'unparsable'
      ? 'The position is not one of this event store: it does not have the form of its positions. Read from the beginning, or from a position the store returned.'
      : 'The position lies beyond the newest event of this event store, so the store did not issue it (was the store reset or restored?). Read from the beginning, or from a position the store returned.',
});

/** Node socket and DNS errors of a connection that failed or was lost. */
const connectionErrnoCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of an engine that is not answering: class 08 (connection exception),
 * admin/crash shutdown and cannot-connect-now (57P01-57P03), too many connections (53300),
 * and a statement cancelled by its timeout (57014).
 */
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** ESDB client error types of a server that is not reachable, not the leader, or too slow. */
const unavailableEsdbTypes = new Set([
  'unavailable',
  'deadline-exceeded',
  'timeout',
  'cancelled',
  'not-leader',
]);

/** Messages of `pg`'s pool and client for a connection that never came or was lost. */
const unavailableMessages = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /query read timeout/i,
  /connection (?:is )?closed/i,
];

/**
 * Whether an engine error means "not reachable now, try again" rather than "the engine
 * refused". Looks through `cause` chains (bounded), since drivers wrap socket errors.
 */
export const isConnectionError = (error: unknown): boolean => {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, type, message, name } = current as {
      code?: unknown;
      type?: unknown;
      message?: unknown;
      name?: unknown;
    };
    // The embedded engine broke and the process is about to restart: try again shortly.
    if (name === 'EmbeddedEngineBroken') return true;
    if (typeof code === 'string') {
      if (connectionErrnoCodes.has(code) || unavailableSqlStates.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (typeof type === 'string' && unavailableEsdbTypes.has(type)) return true;
    if (typeof message === 'string' && unavailableMessages.some((pattern) => pattern.test(message)))
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
};

/** The error of a failed engine call: unavailable for connection-class errors, else engine failed. */
export const storeFailure = (message: string, cause: unknown): StoreUnavailable | EngineFailed =>
  isConnectionError(cause) ? storeUnavailable(message, cause) : engineFailed(message, cause);

export const isWrongExpectedRevision = (error: unknown): error is WrongExpectedRevision =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === 'EVENTSTORE.WRONG_EXPECTED_REVISION';

export const isInvalidPosition = (error: unknown): error is InvalidPosition =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === 'EVENTSTORE.INVALID_POSITION';
