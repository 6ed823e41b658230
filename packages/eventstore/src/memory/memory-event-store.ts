import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { startCatchUpSubscription } from '../catch-up-subscription.js';
import { matchesDataFilter } from '../data-field-filter.js';
import { invalidPosition } from '../errors.js';
import { checkExpectedRevision, NO_STREAM_REVISION } from '../expected-revision.js';
import { createLocalLeaseStore } from '../leases/local-lease-store.js';
import { distinctById, validateNewEvents } from '../new-event.js';
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
import { compareSequencePositions, parseSequencePosition, positionOfSequence } from '../sequence-position.js';
import { matchesStreamPrefixes } from '../stream-prefix.js';
import { SubscriptionRegistry } from '../subscription-registry.js';

interface MemoryStream {
  events: RecordedEvent[];
  byId: Map<string, RecordedEvent>;
}

const DEFAULT_READ_ALL_COUNT = 1000;

/** Stored events are shared with every reader, so nobody may change them. */
const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
};

class InMemoryEventStore implements EventStore {
  readonly engine = 'memory';
  readonly leases: LeaseStore = createLocalLeaseStore();
  /** `all[n]` holds sequence n + 1. */
  readonly #all: RecordedEvent[] = [];
  readonly #streams = new Map<string, MemoryStream>();
  readonly #checkpoints = new Map<string, string>();
  readonly #appendWatchers = new Set<() => void>();
  readonly #subscriptions = new SubscriptionRegistry();
  #closed = false;

  readonly checkpoints: CheckpointStore = {
    load: (name) => okAsync(this.#checkpoints.get(name)),
    store: (name, position) => {
      this.#checkpoints.set(name, position);
      return okAsync(undefined);
    },
  };

  appendToStream(
    streamName: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): ResultAsync<AppendResult, AppendError> {
    const valid = validateNewEvents(streamName, events);
    if (valid.isErr()) return errAsync(valid.error);
    const incoming = distinctById(valid.value);
    const stream = this.#streams.get(streamName);
    const actual = stream ? BigInt(stream.events.length - 1) : NO_STREAM_REVISION;
    const fresh = incoming.filter((event) => !stream?.byId.has(event.id));
    const lastIncoming = incoming.at(-1);
    if (lastIncoming && fresh.length === 0) {
      // A retry of an append that already happened: report the stored original.
      const original = stream?.byId.get(lastIncoming.id);
      return okAsync({ nextExpectedRevision: actual, position: original?.position ?? '', written: 0 });
    }
    const allowed = checkExpectedRevision(streamName, expectedRevision, actual);
    if (allowed.isErr()) return errAsync(allowed.error);

    const target: MemoryStream = stream ?? { events: [], byId: new Map() };
    this.#streams.set(streamName, target);
    const recordedAt = new Date().toISOString();
    for (const event of fresh) {
      const sequence = BigInt(this.#all.length + 1);
      const recorded = deepFreeze<RecordedEvent>({
        id: event.id,
        streamName,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        revision: BigInt(target.events.length),
        position: positionOfSequence(sequence),
        sequence,
        recordedAt,
      });
      this.#all.push(recorded);
      target.events.push(recorded);
      target.byId.set(recorded.id, recorded);
    }
    if (fresh.length > 0) for (const watcher of this.#appendWatchers) watcher();
    return okAsync({
      nextExpectedRevision: BigInt(target.events.length - 1),
      position: target.events.at(-1)?.position ?? '',
      written: fresh.length,
    });
  }

  readStream(
    streamName: string,
    options: ReadStreamOptions = {},
  ): ResultAsync<RecordedEvent[], StoreFailure> {
    const events = this.#streams.get(streamName)?.events ?? [];
    const from = Number(options.fromRevision ?? 0n);
    const to = options.maxCount === undefined ? undefined : from + options.maxCount;
    return okAsync(events.slice(from, to));
  }

  readAll(options: ReadAllOptions = {}): ResultAsync<RecordedEvent[], ReadError> {
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_COUNT;
    const result: RecordedEvent[] = [];
    const after = options.after === undefined ? 0n : parseSequencePosition(options.after);
    if (after === undefined) return errAsync(invalidPosition(options.after ?? '', 'unparsable'));
    if (after > BigInt(this.#all.length)) return errAsync(invalidPosition(options.after ?? '', 'unknown'));
    // Sequence n sits at index n - 1, so the first event after `after` is at index `after`.
    for (let index = Number(after); index < this.#all.length && result.length < maxCount; index += 1) {
      const event = this.#all[index]!;
      if (
        matchesStreamPrefixes(event.streamName, options.streamPrefixes) &&
        matchesDataFilter(event.data, options.where)
      )
        result.push(event);
    }
    return okAsync(result);
  }

  headPosition(): ResultAsync<string | undefined, StoreFailure> {
    return okAsync(this.#all.at(-1)?.position);
  }

  subscribe(options: SubscriptionOptions): Subscription {
    if (this.#closed) throw new Error('The event store is closed');
    const subscription = startCatchUpSubscription(
      {
        readAll: (readOptions) => this.readAll(readOptions),
        headPosition: () => this.headPosition(),
        comparePositions: compareSequencePositions,
        watchAppends: (onAppend) => {
          this.#appendWatchers.add(onAppend);
          return () => this.#appendWatchers.delete(onAppend);
        },
        checkpoints: this.checkpoints,
      },
      options,
    );
    return this.#subscriptions.track(subscription);
  }

  async ping(): Promise<boolean> {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#subscriptions.stopAll();
  }
}

/** An event store in this process's memory: for tests and demos, gone on exit. */
export const createInMemoryEventStore = (): EventStore => new InMemoryEventStore();
