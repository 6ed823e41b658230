import {
  ANY,
  type AppendExpectedRevision,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  type JSONType,
  jsonEvent,
  NO_STREAM,
  type Position,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { err, errAsync, ok, okAsync, ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { matchesDataFilter } from '../data-field-filter.js';
import { engineFailed, invalidPosition, storeFailure, wrongExpectedRevision } from '../errors.js';
import { createStreamLeaseStore, LEASE_MEMBERS_STREAM } from '../leases/stream-lease-store.js';
import { distinctById, type ValidNewEvent, validateNewEvents } from '../new-event.js';
import type {
  AppendError,
  AppendResult,
  CheckpointStore,
  EventStore,
  ExpectedRevision,
  LeaseStore,
  NewEvent,
  ReadAllOptions,
  ReadError,
  ReadStreamOptions,
  RecordedEvent,
  StoreFailure,
  Subscription,
  SubscriptionOptions,
} from '../port.js';
import { SubscriptionRegistry } from '../subscription-registry.js';
import { esdbCheckpointStore } from './esdb-checkpoint-store.js';
import { toEsdbConnectionString } from './esdb-connection-string.js';
import { compareEsdbPositionTokens, encodeEsdbPosition, parseEsdbPosition } from './esdb-position.js';
import { isWantedEvent, recordedEventOf } from './esdb-recorded-event.js';
import { EsdbSubscription } from './esdb-subscription.js';

const esdbOptionsSchema = z.object({
  connectionString: z.string(),
  /** A lease not renewed for this long is free (docs/operations.md, "Several instances"). */
  leaseTimeoutMs: z.number().int().positive().default(9_000),
});
/** Events kept per lease stream (the holder is in the last one). */
const LEASE_STREAM_MAX_COUNT = 8;
/** Events kept on the members stream: one per member per confirmation, so a few rounds of many members. */
const LEASE_MEMBERS_MAX_COUNT = 200;

export type EsdbEventStoreOptions = z.input<typeof esdbOptionsSchema>;

const DEFAULT_READ_ALL_COUNT = 1000;
/** A readiness probe must answer quickly, also when the cluster does not. */
const PING_DEADLINE_MS = 2000;

const esdbExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected.kind) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'exact':
      return expected.revision;
  }
};

class EsdbEventStore implements EventStore {
  readonly engine = 'esdb';
  readonly checkpoints: CheckpointStore;
  readonly #subscriptions = new SubscriptionRegistry();

  readonly leases: LeaseStore;

  constructor(
    private readonly client: EventStoreDBClient,
    leaseTimeoutMs: number,
  ) {
    this.checkpoints = esdbCheckpointStore(client);
    // Lease streams keep only their last events: a renewal every few seconds adds up otherwise.
    this.leases = createStreamLeaseStore(this, {
      sessionTimeoutMs: leaseTimeoutMs,
      onStreamCreated: async (stream) => {
        await client.setStreamMetadata(stream, {
          maxCount: stream === LEASE_MEMBERS_STREAM ? LEASE_MEMBERS_MAX_COUNT : LEASE_STREAM_MAX_COUNT,
        });
      },
    });
  }

  appendToStream(
    streamName: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): ResultAsync<AppendResult, AppendError> {
    const valid = validateNewEvents(streamName, events);
    if (valid.isErr()) return errAsync(valid.error);
    const incoming = distinctById(valid.value);
    return ResultAsync.fromPromise(this.#storedIds(streamName), (cause) =>
      storeFailure(`Reading stream ${streamName} before appending failed`, cause),
    ).andThen((stored) => {
      const fresh = incoming.filter((event) => !stored.positions.has(event.id));
      const last = incoming.at(-1);
      if (last && fresh.length === 0) {
        // A retry of an append that already happened: report the stored original.
        return ok({
          nextExpectedRevision: stored.revision,
          position: stored.positions.get(last.id) ?? '',
          written: 0,
        });
      }
      return this.#append(streamName, fresh, expectedRevision);
    });
  }

  readStream(
    streamName: string,
    options: ReadStreamOptions = {},
  ): ResultAsync<RecordedEvent[], StoreFailure> {
    return ResultAsync.fromPromise(this.#readStream(streamName, options), (cause) =>
      storeFailure(`Reading stream ${streamName} failed`, cause),
    );
  }

  /**
   * $all has no server-side filter on reads in this client: filter while paging. An `after`
   * that parses but lies beyond the last event of $all is INVALID_POSITION too.
   */
  readAll(options: ReadAllOptions = {}): ResultAsync<RecordedEvent[], ReadError> {
    const after = options.after;
    const from = after === undefined ? START : parseEsdbPosition(after);
    if (from === undefined) return errAsync(invalidPosition(after ?? '', 'unparsable'));
    return ResultAsync.fromPromise(this.#readAll(options, from), (cause) =>
      storeFailure('Reading all streams failed', cause),
    ).andThen((events) =>
      events.length > 0 || after === undefined
        ? okAsync(events)
        : ResultAsync.fromPromise(this.#lastPositionOfAll(), (cause) =>
            storeFailure('Reading the head position failed', cause),
          ).andThen((last) =>
            last === undefined || compareEsdbPositionTokens(after, last) > 0
              ? errAsync(invalidPosition(after, 'unknown'))
              : okAsync(events),
          ),
    );
  }

  headPosition(): ResultAsync<string | undefined, StoreFailure> {
    return ResultAsync.fromPromise(this.#lastWantedPosition(undefined, undefined), (cause) =>
      storeFailure('Reading the head position failed', cause),
    );
  }

  subscribe(options: SubscriptionOptions): Subscription {
    const subscription = new EsdbSubscription(
      {
        client: this.client,
        checkpoints: this.checkpoints,
        lastWantedPosition: (prefixes, after) => this.#lastWantedPosition(prefixes, after),
      },
      options,
    );
    return this.#subscriptions.track(subscription);
  }

  async ping(): Promise<boolean> {
    try {
      const probe = this.client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: 1,
        deadline: PING_DEADLINE_MS,
      });
      for await (const _ of probe) break;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#subscriptions.stopAll();
    await this.client.dispose();
  }

  #append(
    streamName: string,
    fresh: ValidNewEvent[],
    expectedRevision: ExpectedRevision,
  ): ResultAsync<AppendResult, AppendError> {
    const events = fresh.map((event) =>
      jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata: event.metadata }),
    );
    return ResultAsync.fromPromise(
      this.client.appendToStream(streamName, events, {
        expectedRevision: esdbExpectedRevision(expectedRevision),
      }),
      (cause): AppendError =>
        cause instanceof WrongExpectedVersionError
          ? wrongExpectedRevision(
              streamName,
              expectedRevision,
              cause.actualVersion === NO_STREAM ? -1n : cause.actualVersion,
            )
          : storeFailure(`Appending to stream ${streamName} failed`, cause),
    ).andThen((result) => {
      if (!result.success) return err(engineFailed(`Appending to stream ${streamName} was not acknowledged`));
      return ResultAsync.fromPromise(this.#positionOf(streamName, result.nextExpectedRevision), (cause) =>
        storeFailure(`Reading back the append to stream ${streamName} failed`, cause),
      ).map((position) => ({
        nextExpectedRevision: result.nextExpectedRevision,
        position: position ?? (result.position ? encodeEsdbPosition(result.position) : ''),
        written: fresh.length,
      }));
    });
  }

  async #readStream(streamName: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    if (options.maxCount === 0) return [];
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamName, {
        direction: FORWARDS,
        fromRevision: options.fromRevision ?? START,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      })) {
        const event = recordedEventOf(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async #readAll(options: ReadAllOptions, from: Position | typeof START): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_COUNT;
    const events: RecordedEvent[] = [];
    if (maxCount <= 0) return events;
    const after = options.after;
    for await (const resolved of this.client.readAll({ direction: FORWARDS, fromPosition: from })) {
      const event = recordedEventOf(resolved);
      // No server-side filter on data: a filtered read pages through $all on the client.
      if (
        !event ||
        !isWantedEvent(event, options.streamPrefixes) ||
        !matchesDataFilter(event.data, options.where)
      )
        continue;
      // Reads from a position include it; `after` means strictly after.
      if (after !== undefined && compareEsdbPositionTokens(event.position, after) <= 0) continue;
      events.push(event);
      if (events.length >= maxCount) break;
    }
    return events;
  }

  /** Position of the last event of $all, whoever wrote it (undefined: $all is empty). */
  async #lastPositionOfAll(): Promise<string | undefined> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
    })) {
      const position = resolved.event?.position;
      if (position) return encodeEsdbPosition(position);
    }
    return undefined;
  }

  /**
   * The position of one event in $all. The append result carries the position of the
   * write, which need not be its last event's; callers pass this token back as `after`.
   */
  async #positionOf(streamName: string, revision: bigint): Promise<string | undefined> {
    if (revision < 0n) return undefined;
    const [event] = await this.#readStream(streamName, { fromRevision: revision, maxCount: 1 });
    return event?.position || undefined;
  }

  /**
   * Ids already in the stream, for idempotent appends: ESDB's own check only covers an
   * exact retry (same events, same expected revision), ours any overlap.
   */
  async #storedIds(streamName: string): Promise<{ revision: bigint; positions: Map<string, string> }> {
    const stored = await this.#readStream(streamName, {});
    return {
      revision: stored.at(-1)?.revision ?? -1n,
      positions: new Map(stored.map((event) => [event.id, event.position])),
    };
  }

  /** Newest wanted event of $all newer than `after`, scanning backwards from the end. */
  async #lastWantedPosition(
    prefixes: readonly string[] | undefined,
    after: string | undefined,
  ): Promise<string | undefined> {
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END })) {
      const event = recordedEventOf(resolved);
      if (!event) continue;
      if (after !== undefined && compareEsdbPositionTokens(event.position, after) <= 0) return undefined;
      if (isWantedEvent(event, prefixes)) return event.position;
    }
    return undefined;
  }
}

/** EventStoreDB/KurrentDB at an esdb://, esdb+discover:// or kurrentdb:// URL. */
export const createEsdbEventStore = async (options: EsdbEventStoreOptions): Promise<EventStore> => {
  const { connectionString, leaseTimeoutMs } = esdbOptionsSchema.parse(options);
  const client = EventStoreDBClient.connectionString(toEsdbConnectionString(connectionString));
  return new EsdbEventStore(client, leaseTimeoutMs);
};
