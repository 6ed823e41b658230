import { describe, expect, it } from 'vitest';
import { isConnectionError, storeFailure, storeUnavailable } from '../src/errors.js';

const withCode = (code: string, message = 'driver text'): Error =>
  Object.assign(new Error(message), { code });

describe('telling an unreachable store from an engine that refused', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    '08006',
    '08001',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '57014',
  ])('counts %s as the store being unavailable', (code) => {
    expect(isConnectionError(withCode(code))).toBe(true);
    expect(storeFailure('Appending failed', withCode(code)).code).toBe('EVENTSTORE.UNAVAILABLE');
  });

  it('counts the pool giving up on a connection, and a socket error wrapped as a cause, as unavailable', () => {
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(new Error('append failed', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { type: 'unavailable' }))).toBe(true);
  });

  it.each(['23505', '54000', 'XX000', '22P02'])('counts SQLSTATE %s as the engine failing', (code) => {
    expect(isConnectionError(withCode(code))).toBe(false);
    expect(storeFailure('Appending failed', withCode(code)).code).toBe('EVENTSTORE.ENGINE_FAILED');
  });

  it('keeps the driver text in the cause only, never in the message', () => {
    const cause = withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
    const unavailable = storeUnavailable('Appending to stream service-1 failed', cause);
    expect(unavailable.message).toBe('Appending to stream service-1 failed');
    expect(unavailable.cause).toBe(cause);
    const failed = storeFailure(
      'Appending to stream service-1 failed',
      withCode('XX000', 'SELECT secret FROM t'),
    );
    expect(failed.message).not.toContain('SELECT');
  });
});
