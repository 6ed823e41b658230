import type {
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Subscription,
  SubscriptionOptions,
} from '@calsync/eventstore';

/** How a reader got events from the store. */
export type ReadKind = 'subscription' | 'readStream' | 'readAll';

/** One reader: the code that called the store (file of the first frame outside the store) and how. */
export interface ReaderTally {
  reader: string;
  kind: ReadKind;
  /** Calls (readStream/readAll) or subscriptions opened. */
  calls: number;
  /** Events of service streams (`service-…`) returned or delivered. */
  serviceEvents: number;
  /** Events of any other stream (teams, snapshots, runs) returned or delivered. */
  otherEvents: number;
}

export interface Tally {
  appendedServiceEvents: number;
  appendedOtherEvents: number;
  readers: ReaderTally[];
}

const SERVICE_PREFIX = 'service-';

/**
 * An EventStore decorator that counts what passes through the port: events appended (newly
 * stored), events returned by readStream/readAll, and events delivered to every subscription
 * handler, each attributed to the module that called the store. It sees only the public port,
 * so it measures any wiring of the server, whatever its internals.
 */
export class CountingStore implements EventStore {
  private readonly tallies = new Map<string, ReaderTally>();
  private appendedService = 0;
  private appendedOther = 0;
  private readonly live = new Set<Subscription>();
  private readonly subscriptionCount = new Map<string, number>();

  constructor(
    readonly inner: EventStore,
    /** Absolute path of the repository root, to name readers by their path inside it. */
    private readonly repoRoot: string,
    /**
     * Shows the server only the service streams and no durable checkpoints: no snapshot, no
     * subscription position, so every reader catches up from the beginning (a first start on
     * a store that already holds services).
     */
    private readonly cold = false,
  ) {}

  get leases(): EventStore['leases'] {
    return this.inner.leases;
  }

  get engine(): string {
    return this.inner.engine;
  }

  get checkpoints(): EventStore['checkpoints'] {
    return this.inner.checkpoints;
  }

  appendToStream(
    streamName: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): ReturnType<EventStore['appendToStream']> {
    return this.inner.appendToStream(streamName, events, expectedRevision).map((result) => {
      if (streamName.startsWith(SERVICE_PREFIX)) this.appendedService += result.written;
      else this.appendedOther += result.written;
      return result;
    });
  }

  readStream(streamName: string, options?: ReadStreamOptions): ReturnType<EventStore['readStream']> {
    const tally = this.tallyOf(this.caller(), 'readStream');
    return this.inner.readStream(streamName, options).map((read) => {
      const events = this.visible(read);
      tally.calls += 1;
      this.countEvents(tally, events);
      return events;
    });
  }

  readAll(options?: ReadAllOptions): ReturnType<EventStore['readAll']> {
    const tally = this.tallyOf(this.caller(), 'readAll');
    return this.inner.readAll(options).map((read) => {
      const events = this.visible(read);
      tally.calls += 1;
      this.countEvents(tally, events);
      return events;
    });
  }

  headPosition(): ReturnType<EventStore['headPosition']> {
    return this.inner.headPosition();
  }

  subscribe(options: SubscriptionOptions): Subscription {
    const caller = this.caller();
    // Two subscriptions opened from one module are told apart by their order.
    const seen = (this.subscriptionCount.get(caller) ?? 0) + 1;
    this.subscriptionCount.set(caller, seen);
    const tally = this.tallyOf(seen === 1 ? caller : `${caller} #${seen}`, 'subscription');
    tally.calls += 1;
    const { checkpointName, ...rest } = options;
    const subscription = this.inner.subscribe({
      ...rest,
      ...(this.cold || checkpointName === undefined ? {} : { checkpointName }),
      handler: async (event) => {
        if (this.cold && !event.streamName.startsWith(SERVICE_PREFIX)) return;
        this.countEvents(tally, [event]);
        return options.handler(event);
      },
    });
    this.live.add(subscription);
    return {
      get lastPosition() {
        return subscription.lastPosition;
      },
      caughtUp: () => subscription.caughtUp(),
      reached: (position) => subscription.reached(position),
      stop: async () => {
        this.live.delete(subscription);
        await subscription.stop();
      },
    };
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** A copy of the counts so far. */
  tally(): Tally {
    return {
      appendedServiceEvents: this.appendedService,
      appendedOtherEvents: this.appendedOther,
      readers: [...this.tallies.values()].map((tally) => ({ ...tally })),
    };
  }

  /**
   * Resolves once the server is idle: every subscription opened through this store has caught
   * up and nothing was appended for `quietMs` (longer than the sync's coalescing interval, so a
   * delayed push is waited for). Rejects after `timeoutMs`.
   */
  async settled(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let appended = this.appendedService + this.appendedOther;
    let quietSince = Date.now();
    for (;;) {
      await Promise.all([...this.live].map((subscription) => subscription.caughtUp()));
      const now = this.appendedService + this.appendedOther;
      if (now !== appended) {
        appended = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= quietMs) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `The server did not become idle within ${timeoutMs} ms (it kept appending events); the counts would be incomplete.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private visible(events: RecordedEvent[]): RecordedEvent[] {
    return this.cold ? events.filter((event) => event.streamName.startsWith(SERVICE_PREFIX)) : events;
  }

  private countEvents(tally: ReaderTally, events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (event.streamName.startsWith(SERVICE_PREFIX)) tally.serviceEvents += 1;
      else tally.otherEvents += 1;
    }
  }

  private tallyOf(reader: string, kind: ReadKind): ReaderTally {
    const key = `${kind} ${reader}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { reader, kind, calls: 0, serviceEvents: 0, otherEvents: 0 };
      this.tallies.set(key, tally);
    }
    return tally;
  }

  /** The first stack frame outside this file and outside the event store package: who called. */
  private caller(): string {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    for (const line of stack.split('\n').slice(1)) {
      const file = /\(?((?:file:\/\/)?\/[^():]+)(?::\d+)+\)?\s*$/.exec(line)?.[1]?.replace(/^file:\/\//, '');
      if (!file) continue;
      if (file.endsWith('counting-store.ts') || file.endsWith('counting-store.js')) continue;
      if (file.includes('/packages/eventstore/') || file.includes('/node_modules/')) continue;
      return file.startsWith(this.repoRoot) ? file.slice(this.repoRoot.length + 1) : file;
    }
    return 'unknown caller';
  }
}
