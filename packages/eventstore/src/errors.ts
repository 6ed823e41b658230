import type { ExpectedRevision, StoreUnavailable, WrongExpectedRevision } from './port.js';

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

export const storeUnavailable = (message: string, cause?: unknown): StoreUnavailable => ({
  code: 'EVENTSTORE.UNAVAILABLE',
  message: cause instanceof Error ? `${message}: ${cause.message}` : message,
  cause,
});

export const isWrongExpectedRevision = (error: unknown): error is WrongExpectedRevision =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === 'EVENTSTORE.WRONG_EXPECTED_REVISION';
