import { err, ok, type Result } from 'neverthrow';
import { wrongExpectedRevision } from './errors.js';
import type { ExpectedRevision, WrongExpectedRevision } from './port.js';

/** -1n stands for "the stream does not exist", as in `WrongExpectedRevision.actual`. */
export const NO_STREAM_REVISION = -1n;

/** Whether a stream at `actual` satisfies the writer's expectation. */
export const satisfiesExpectedRevision = (expected: ExpectedRevision, actual: bigint): boolean => {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === NO_STREAM_REVISION;
    case 'stream_exists':
      return actual > NO_STREAM_REVISION;
    case 'exact':
      return actual === expected.revision;
  }
};

export const checkExpectedRevision = (
  streamName: string,
  expected: ExpectedRevision,
  actual: bigint,
): Result<void, WrongExpectedRevision> =>
  satisfiesExpectedRevision(expected, actual)
    ? ok(undefined)
    : err(wrongExpectedRevision(streamName, expected, actual));
