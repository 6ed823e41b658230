/**
 * The memory and SQL engines number events 1, 2, 3… in commit order; their opaque
 * position token is that number in decimal. ESDB has its own token (see esdb/).
 */

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export const positionOfSequence = (sequence: bigint): string => sequence.toString();

/** Parses a position issued by a sequence-numbered engine; a foreign token is a bug. */
export const sequenceOfPosition = (position: string): bigint => {
  if (!DECIMAL.test(position)) {
    throw new TypeError(`Not a position of this event store: ${JSON.stringify(position)}`);
  }
  return BigInt(position);
};

/** Parses an `after` position of a sequence-numbered engine; undefined when it is not one. */
export const parseSequencePosition = (position: string): bigint | undefined =>
  DECIMAL.test(position) ? BigInt(position) : undefined;

/** Orders two sequences (negative: a first), e.g. for `Array.prototype.sort`. */
export const compareSequence = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

export const compareSequencePositions = (a: string, b: string): number =>
  compareSequence(sequenceOfPosition(a), sequenceOfPosition(b));
