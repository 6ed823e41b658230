import type { ResultAsync } from 'neverthrow';

/**
 * The EventStore port (docs/operations.md). Every engine implements exactly this; one conformance
 * suite (`conformance.ts`) proves it for each. Every call that can fail, the checkpoint store's
 * included, returns a `ResultAsync` with a typed error and never rejects; only `ping()` answers
 * a plain boolean, and `subscribe` reports failures through `onError`.
 */

/** What the writer expects the stream's current revision to be. Revisions are 0-based. */
export type ExpectedRevision =
  | { kind: 'any' }
  | { kind: 'no_stream' }
  | { kind: 'stream_exists' }
  | { kind: 'exact'; revision: bigint };

export const expected = {
  any: { kind: 'any' } as ExpectedRevision,
  noStream: { kind: 'no_stream' } as ExpectedRevision,
  streamExists: { kind: 'stream_exists' } as ExpectedRevision,
  /** `revision` is the revision of the last event the writer saw (-1n: no stream). */
  exact: (revision: bigint): ExpectedRevision =>
    revision < 0n ? { kind: 'no_stream' } : { kind: 'exact', revision },
};

/** An event to append. `id` is a UUID; an id already in the stream is not stored twice. */
export interface NewEvent {
  id: string;
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
}

/**
 * An event as stored. `position` is an opaque checkpoint token: pass it back as `after`
 * to read or subscribe from just after this event. `sequence` orders events in commit
 * order within one engine (read-all order); compare sequences, never positions.
 */
export interface RecordedEvent {
  id: string;
  streamName: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  /** 0-based revision within its stream. */
  revision: bigint;
  /** Opaque checkpoint token of this event in the global (read-all) order. */
  position: string;
  /** Monotonic number in read-all order (engine-specific origin). */
  sequence: bigint;
  /** ISO-8601 time the engine stored the event. */
  recordedAt: string;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append (the next expected revision). */
  nextExpectedRevision: bigint;
  /** Position of the last event written (or of the already-stored duplicate). */
  position: string;
  /** Number of events newly stored (duplicates by id are skipped). */
  written: number;
}

export interface WrongExpectedRevision {
  code: 'EVENTSTORE.WRONG_EXPECTED_REVISION';
  streamName: string;
  expected: ExpectedRevision;
  /** -1n when the stream does not exist. */
  actual: bigint;
  message: string;
}

/**
 * The engine could not be reached or did not answer in time (a lost or refused connection,
 * a timeout, a server shutting down or out of connections): trying again later may work.
 * `message` is ours; the driver's error stays in `cause`, for logs only.
 */
export interface StoreUnavailable {
  code: 'EVENTSTORE.UNAVAILABLE';
  message: string;
  cause?: unknown;
}

/**
 * The engine answered, but with an error of its own (a constraint, a bug, a full disk):
 * trying again will not help. `message` is ours; the driver's error stays in `cause`.
 */
export interface EngineFailed {
  code: 'EVENTSTORE.ENGINE_FAILED';
  message: string;
  cause?: unknown;
}

/**
 * The event holds something no engine can store or read back: a NUL character or a lone
 * UTF-16 surrogate in a string or key, nesting deeper than the store's bound, or more JSON
 * than the store's bound (docs/limits.md). Refused before any engine sees it. `message`
 * names the problem and where it is, never the value.
 */
export interface UnstorableEvent {
  code: 'EVENTSTORE.UNSTORABLE_EVENT';
  streamName: string;
  /** Index of the offending event in the append; -1 when the stream name itself is the problem. */
  eventIndex: number;
  /** Where in the event: `type`, `data`, `data.a[3]`, `metadata.b`, or `stream`. */
  path: string;
  problem: 'unstorable_text' | 'too_deep' | 'too_large' | 'not_json';
  message: string;
}

export type AppendError = WrongExpectedRevision | StoreUnavailable | EngineFailed | UnstorableEvent;

/** The engine failed to answer a call: unreachable now, or refusing. */
export type StoreFailure = StoreUnavailable | EngineFailed;

/**
 * The `after` position is not one this store issued: it does not parse as this engine's
 * token, or it lies beyond the newest event. The store itself is fine, so a caller can tell
 * a bad cursor from an outage without asking the store again. `message` never quotes the
 * token (it may come from a client); `position` holds it, for logs.
 */
export interface InvalidPosition {
  code: 'EVENTSTORE.INVALID_POSITION';
  position: string;
  message: string;
}

/** What a read can fail with: only reads from a position can meet an invalid one. */
export type ReadError = StoreFailure | InvalidPosition;

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default 0n. */
  fromRevision?: bigint;
  /** Maximum number of events. Default: all. */
  maxCount?: number;
}

/**
 * Only events whose data has this top-level field holding exactly this string. PostgreSQL and
 * PGlite answer it from an index when the store was opened with the field among its
 * `indexedDataFields` (else by scanning); memory filters in memory; ESDB filters on the client
 * while paging $all (docs/operations.md).
 */
export interface DataFieldFilter {
  dataField: string;
  equals: string;
}

export interface ReadAllOptions {
  /** Read events strictly after this position. Default: from the beginning. */
  after?: string;
  /** Only streams whose name starts with one of these prefixes. Default: all. */
  streamPrefixes?: string[];
  /** Only events whose data field equals a value (with the prefixes: both must hold). */
  where?: DataFieldFilter;
  /** Maximum number of events. Default: 1000. */
  maxCount?: number;
}

export interface SubscriptionOptions {
  /** Only streams whose name starts with one of these prefixes. */
  streamPrefixes?: string[];
  /**
   * Durable checkpoint name. When set, the subscription starts after the stored
   * checkpoint and stores the position of every handled event (after the handler
   * resolves). When unset, it starts after `after` (or at the beginning).
   * While one checkpoint store is in flight, later positions coalesce into the next
   * store (so catching up is not one round trip per event); `caughtUp()`, `stop()` and
   * a reported handler failure all wait until the last handled position is stored.
   */
  checkpointName?: string;
  after?: string;
  /**
   * Called once per event, in read-all order, one at a time. A rejected promise stops
   * the subscription (reported through `onError`); the event is not checkpointed.
   */
  handler: (event: RecordedEvent) => Promise<void>;
  onError?: (error: unknown) => void;
  /** Called every time the subscription has handled everything currently stored. */
  onCaughtUp?: (position: string | undefined) => void;
}

export interface Subscription {
  /** Position of the last handled event (undefined before the first). */
  readonly lastPosition: string | undefined;
  /** Resolves once every event committed before this call has been handled. */
  caughtUp(): Promise<void>;
  /**
   * Resolves once every event up to and including `position` has been handled (filtered-out
   * events count as handled). Rejects with INVALID_POSITION when the token is not of this
   * engine; a position beyond the head simply waits, so callers bound the wait.
   */
  reached(position: string): Promise<void>;
  /** Stops delivering; resolves after the in-flight handler (if any) finishes. */
  stop(): Promise<void>;
}

/** Named positions that subscriptions resume from. Failures are typed like a read's. */
export interface CheckpointStore {
  /** The position stored under `name`; undefined when none was stored yet. */
  load(name: string): ResultAsync<string | undefined, StoreFailure>;
  /** Stores `position` under `name`, replacing what was there. */
  store(name: string, position: string): ResultAsync<void, StoreFailure>;
}

/**
 * Exclusive named leases held through the store (docs/operations.md, "Several instances"): at most
 * one process holds a name at a time. A process holds its leases through one lease session; when
 * the session ends (the process died, or it stopped answering for the store's lease timeout) the
 * store frees every lease of it, so another process can take them.
 */
export interface LeaseStore {
  /**
   * False when only this process can use the store (memory, the embedded engine behind its
   * folder lock): every lease is granted at once. True when other processes may hold leases.
   */
  readonly shared: boolean;
  /** Takes `name` unless another process holds it; true when this process holds it now. */
  tryAcquire(name: string): ResultAsync<boolean, StoreFailure>;
  /** Gives `name` up at once (nothing happens when this process does not hold it). */
  release(name: string): ResultAsync<void, StoreFailure>;
  /**
   * A round trip on the lease session: it proves the session (and every lease this process holds)
   * still stands, and keeps it from timing out. An error means the session is gone and every
   * lease with it; the next `tryAcquire` opens a new session.
   */
  confirm(): ResultAsync<void, StoreFailure>;
  /** The names this process holds, as far as it knows (`confirm` checks it with the store). */
  held(): ReadonlySet<string>;
  /** Whether any process, this one included, holds `name` now. */
  isHeldAnywhere(name: string): ResultAsync<boolean, StoreFailure>;
  /** How many processes have a lease session on this store now, this one included (at least 1). */
  members(): ResultAsync<number, StoreFailure>;
  /** Calls `listener` when the session ended by itself (a dropped connection): every lease is lost. */
  onLost(listener: () => void): () => void;
  /**
   * Gives every lease up and stops counting as a member at once (a stop), so the others need not
   * wait for the lease timeout. A later `tryAcquire` joins again.
   */
  leave(): ResultAsync<void, StoreFailure>;
}

export interface EventStore {
  /** Engine name for logs and health: memory, pglite, postgres, esdb. */
  readonly engine: string;
  /** Exclusive leases between the processes using this store. */
  readonly leases: LeaseStore;
  appendToStream(
    streamName: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): ResultAsync<AppendResult, AppendError>;
  /** Events of one stream in revision order; [] when the stream does not exist. */
  readStream(streamName: string, options?: ReadStreamOptions): ResultAsync<RecordedEvent[], StoreFailure>;
  /** Events of all streams in commit order; an `after` this store never issued is INVALID_POSITION. */
  readAll(options?: ReadAllOptions): ResultAsync<RecordedEvent[], ReadError>;
  /** Position of the last committed event (undefined for an empty store). */
  headPosition(): ResultAsync<string | undefined, StoreFailure>;
  subscribe(options: SubscriptionOptions): Subscription;
  readonly checkpoints: CheckpointStore;
  /** Cheap reachability check for readiness probes; never rejects (false: not reachable). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
