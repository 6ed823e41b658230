import type { EventStore } from '@calsync/eventstore';

/** The parts of the EventStore port a test may replace. */
export type StoreParts = Partial<
  Pick<
    EventStore,
    | 'appendToStream'
    | 'readStream'
    | 'readAll'
    | 'headPosition'
    | 'subscribe'
    | 'ping'
    | 'close'
    | 'checkpoints'
    | 'leases'
  >
>;

/**
 * `inner` with some of its parts replaced (an append that fails, a checkpoint store that cannot
 * be reached); every other call goes to `inner` unchanged. The one way tests stand a double
 * between calsync and a real store.
 */
export function storeWith(inner: EventStore, parts: StoreParts): EventStore {
  return {
    engine: inner.engine,
    appendToStream: parts.appendToStream ?? ((...args) => inner.appendToStream(...args)),
    readStream: parts.readStream ?? ((...args) => inner.readStream(...args)),
    readAll: parts.readAll ?? ((...args) => inner.readAll(...args)),
    headPosition: parts.headPosition ?? (() => inner.headPosition()),
    subscribe: parts.subscribe ?? ((options) => inner.subscribe(options)),
    ping: parts.ping ?? (() => inner.ping()),
    close: parts.close ?? (() => inner.close()),
    checkpoints: parts.checkpoints ?? inner.checkpoints,
    leases: parts.leases ?? inner.leases,
  };
}
