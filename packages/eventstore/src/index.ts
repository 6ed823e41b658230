export {
  describeExpectedRevision,
  engineFailed,
  invalidPosition,
  isConnectionError,
  isInvalidPosition,
  isWrongExpectedRevision,
  storeFailure,
  storeUnavailable,
  wrongExpectedRevision,
} from './errors.js';
export { isEsdbUrl, toEsdbConnectionString } from './esdb/esdb-connection-string.js';
export { createEsdbEventStore, type EsdbEventStoreOptions } from './esdb/esdb-event-store.js';
export { checkExpectedRevision, NO_STREAM_REVISION, satisfiesExpectedRevision } from './expected-revision.js';
export { createLocalLeaseStore } from './leases/local-lease-store.js';
export { createStreamLeaseStore, LEASE_STREAM_PREFIX } from './leases/stream-lease-store.js';
export { createInMemoryEventStore } from './memory/memory-event-store.js';
export { type OpenEventStoreConfig, openEventStore } from './open-event-store.js';
export * from './port.js';
export {
  EmbeddedEngineBroken,
  type GuardedSqlClient,
  guardEmbeddedEngine,
} from './postgres/broken-engine-guard.js';
export { DataFolderInUse } from './postgres/data-folder-lock.js';
export {
  createPostgresEventStore,
  inspectPostgresGround,
  type PostgresEventStoreOptions,
  type PostgresGroundProblem,
} from './postgres/pg-event-store.js';
export { createPgliteEventStore, type PgliteEventStoreOptions } from './postgres/pglite-event-store.js';
export { compareSequence, compareSequencePositions } from './sequence-position.js';
export { findUnstorableEvent, storeEventLimits } from './storable-event.js';
