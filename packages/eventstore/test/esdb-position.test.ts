import { describe, expect, it } from 'vitest';
import {
  compareEsdbPositionTokens,
  decodeEsdbPosition,
  encodeEsdbPosition,
} from '../src/esdb/esdb-position.js';
import { isApplicationEvent } from '../src/esdb/esdb-recorded-event.js';

describe('EventStoreDB positions as checkpoint tokens', () => {
  it('round-trips a commit/prepare position through its token', () => {
    const position = { commit: 18_446_744_073_709n, prepare: 18_446_744_073_700n };
    expect(decodeEsdbPosition(encodeEsdbPosition(position))).toEqual(position);
  });

  it('orders tokens by commit, then by prepare position', () => {
    expect(compareEsdbPositionTokens('10/5', '9/9')).toBeGreaterThan(0);
    expect(compareEsdbPositionTokens('10/5', '10/6')).toBeLessThan(0);
    expect(compareEsdbPositionTokens('10/6', '10/6')).toBe(0);
  });

  it('refuses a token of another engine', () => {
    expect(() => decodeEsdbPosition('42')).toThrow(TypeError);
  });
});

describe('which events of $all belong to calsync', () => {
  it('leaves out system streams, system events and our own checkpoints', () => {
    expect(isApplicationEvent('service-1', 'ServiceEdited')).toBe(true);
    expect(isApplicationEvent('$stats-127.0.0.1:2113', 'StatsCollected')).toBe(false);
    expect(isApplicationEvent('service-1', '$metadata')).toBe(false);
    expect(isApplicationEvent('calsync-checkpoint-status-view', '$calsync-checkpoint')).toBe(false);
  });
});
