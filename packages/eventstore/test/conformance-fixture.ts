import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EventStore, NewEvent, RecordedEvent, SubscriptionOptions } from '../src/index.js';

/** What every part of the conformance suite gets: the store under test, opened once per file. */
export interface ConformanceContext {
  store(): EventStore;
  /** Opens another store on fresh storage (the caller closes it). */
  openFreshStore(): Promise<EventStore>;
  freshStoreIsEmpty: boolean;
  concurrency: { writers: number; eventsPerWriter: number };
}

/** The data field the SQL engines under test are opened with an index for (`indexedDataFields`). */
export const INDEXED_DATA_FIELD = 'tenant';

/** Tests share one store, so each works in streams of its own. */
export const uniquePrefix = (label: string): string => `${label}_${randomUUID().slice(0, 8)}-`;

export const newEvent = (type: string, data: unknown = {}, metadata?: Record<string, unknown>): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  ...(metadata === undefined ? {} : { metadata }),
});

export const newEvents = (count: number, type = 'Counted'): NewEvent[] =>
  Array.from({ length: count }, (_, index) => newEvent(type, { index }));

/** Every event after `after` in the streams with `prefixes`, page by page. */
export const readEverything = async (
  store: EventStore,
  options: { after?: string; streamPrefixes?: string[] },
): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  let after = options.after;
  for (;;) {
    const page = (
      await store.readAll({ after, streamPrefixes: options.streamPrefixes, maxCount: 1000 })
    )._unsafeUnwrap();
    events.push(...page);
    if (page.length < 1000) return events;
    after = page.at(-1)?.position;
  }
};

/** A subscriber that writes down what it was handed. */
export const recordingSubscriber = (
  store: EventStore,
  options: Omit<SubscriptionOptions, 'handler'>,
  onEvent?: (event: RecordedEvent) => Promise<void> | void,
) => {
  const received: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const subscription = store.subscribe({
    onError: (error) => errors.push(error),
    ...options,
    handler: async (event) => {
      received.push(event);
      await onEvent?.(event);
    },
  });
  return { subscription, received, errors };
};

/** A promise with its resolve exposed, to let a test decide when something finishes. */
export const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
};

/** Drops the schemas a test file created on the PostgreSQL server (nothing when there are none). */
export const dropSchemas = async (connectionString: string, schemas: readonly string[]): Promise<void> => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
};
