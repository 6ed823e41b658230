import type { Position } from '@eventstore/db-client';

/** ESDB orders $all by (commit, prepare); the token carries both, as `commit/prepare`. */
export const encodeEsdbPosition = (position: Position): string => `${position.commit}/${position.prepare}`;

/** Parses a token of ours; undefined when it is not one (e.g. a cursor a client made up). */
export const parseEsdbPosition = (token: string): Position | undefined => {
  const match = /^([0-9]+)\/([0-9]+)$/.exec(token);
  return match ? { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) } : undefined;
};

/** Decodes a token this store issued; a foreign token here is a bug. */
export const decodeEsdbPosition = (token: string): Position => {
  const position = parseEsdbPosition(token);
  if (!position) throw new TypeError(`Not an EventStoreDB position: ${JSON.stringify(token)}`);
  return position;
};

const compareEsdbPositions = (a: Position, b: Position): number =>
  a.commit !== b.commit
    ? a.commit < b.commit
      ? -1
      : 1
    : a.prepare === b.prepare
      ? 0
      : a.prepare < b.prepare
        ? -1
        : 1;

export const compareEsdbPositionTokens = (a: string, b: string): number =>
  compareEsdbPositions(decodeEsdbPosition(a), decodeEsdbPosition(b));
