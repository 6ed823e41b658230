import { describe, expect, it } from 'vitest';
import { isEsdbUrl, toEsdbConnectionString } from '../src/esdb/esdb-connection-string.js';

describe('EventStoreDB/KurrentDB connection strings', () => {
  it('passes esdb:// and esdb+discover:// URLs through unchanged', () => {
    expect(toEsdbConnectionString('esdb://node1:2113?tls=false')).toBe('esdb://node1:2113?tls=false');
    expect(toEsdbConnectionString('esdb+discover://cluster.example:2113')).toBe(
      'esdb+discover://cluster.example:2113',
    );
  });

  it('rewrites kurrentdb:// URLs to the scheme the client knows', () => {
    expect(toEsdbConnectionString('kurrentdb://admin:changeit@node1:2113?tls=false')).toBe(
      'esdb://admin:changeit@node1:2113?tls=false',
    );
    expect(toEsdbConnectionString('kurrentdb+discover://cluster.example:2113')).toBe(
      'esdb+discover://cluster.example:2113',
    );
  });

  it('refuses URLs of other databases', () => {
    expect(isEsdbUrl('postgres://root@127.0.0.1/test')).toBe(false);
    expect(() => toEsdbConnectionString('http://node1:2113')).toThrow();
  });
});
