import { describe, expect, it } from 'vitest';
import { checkExpectedRevision, satisfiesExpectedRevision } from '../src/expected-revision.js';
import { expected } from '../src/port.js';

describe('what a writer may expect of a stream', () => {
  it.each([
    ['any', -1n, true, expected.any],
    ['any', 4n, true, expected.any],
    ['no stream', -1n, true, expected.noStream],
    ['no stream', 0n, false, expected.noStream],
    ['an existing stream', 0n, true, expected.streamExists],
    ['an existing stream', -1n, false, expected.streamExists],
    ['revision 3', 3n, true, expected.exact(3n)],
    ['revision 3', 4n, false, expected.exact(3n)],
    ['revision -1 (the writer saw no stream)', -1n, true, expected.exact(-1n)],
  ])('%s at actual revision %s is satisfied: %s', (_label, actual, satisfied, expectation) => {
    expect(satisfiesExpectedRevision(expectation, actual)).toBe(satisfied);
  });

  it("explains a conflict in the stream's words", () => {
    const error = checkExpectedRevision('service-7', expected.exact(1n), 3n)._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'EVENTSTORE.WRONG_EXPECTED_REVISION', actual: 3n });
    expect(error.message).toBe('Stream service-7 was expected at revision 1 but is at revision 3');
  });
});
