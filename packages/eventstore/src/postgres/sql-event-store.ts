import { err, errAsync, ok, okAsync, Result, ResultAsync } from 'neverthrow';
import { startCatchUpSubscription } from '../catch-up-subscription.js';
import {
  engineFailed,
  invalidPosition,
  isConnectionError,
  storeFailure,
  wrongExpectedRevision,
} from '../errors.js';
import { createLocalLeaseStore } from '../leases/local-lease-store.js';
import { validateNewEvents } from '../new-event.js';
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
import { compareSequencePositions, parseSequencePosition } from '../sequence-position.js';
import { SubscriptionRegistry } from '../subscription-registry.js';
import { AppendBatcher } from './append-batcher.js';
import {
  appendOutcomeOfRow,
  checkpointOfRow,
  eventColumns,
  headOfRow,
  recordedEventOfRow,
} from './event-row.js';
import { type SqlSchema, sqlSchema } from './schema-sql.js';
import type { SqlClient } from './sql-client.js';

export interface SqlEventStoreOptions {
  engine: string;
  client: SqlClient;
  schema: string;
  /** Fallback poll of idle subscriptions, for NOTIFYs lost with a dropped connection. */
  pollIntervalMs?: number;
  /** Top-level data fields that `readAll({ where })` finds by index (see schema-sql.ts). */
  indexedDataFields?: readonly string[];
  /** Leases shared with other processes (PostgreSQL); default: this process is the only one. */
  leases?: LeaseStore & { close?: () => Promise<void> };
}

const DEFAULT_READ_ALL_COUNT = 1000;
const DEFAULT_POLL_INTERVAL_MS = 1000;

/** `LIKE` patterns matching names that start with each prefix, wildcards escaped. */
const likePatterns = (prefixes: readonly string[]): string[] =>
  prefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);

/**
 * The SELECT of a read-all after sequence `after`. An indexed data field is written as a
 * literal (validated when the store opened) so that the planner matches its index on
 * (field, sequence); any other field travels as a parameter.
 */
export const readAllStatement = (
  schema: SqlSchema,
  after: bigint,
  options: ReadAllOptions,
): { text: string; params: unknown[] } => {
  const params: unknown[] = [after.toString(), options.maxCount ?? DEFAULT_READ_ALL_COUNT];
  const conditions = ['sequence > $1::bigint'];
  const prefixes = options.streamPrefixes ?? [];
  if (prefixes.length > 0) {
    params.push(likePatterns(prefixes));
    conditions.push(`stream_name LIKE ANY ($${params.length}::text[])`);
  }
  if (options.where !== undefined) {
    const { dataField, equals } = options.where;
    let field: string;
    if (schema.indexedDataFields.has(dataField)) field = `'${dataField}'`;
    else {
      params.push(dataField);
      field = `$${params.length}::text`;
    }
    // JSON equality with a JSON string: a number or an object holding the same text never matches.
    params.push(JSON.stringify(equals));
    conditions.push(`data->${field} = $${params.length}::jsonb`);
  }
  return {
    text: `SELECT ${eventColumns} FROM ${schema.name}.events e
       WHERE ${conditions.join(' AND ')} ORDER BY e.sequence LIMIT $2`,
    params,
  };
};

/** The PostgreSQL engine, shared by both drivers (PGlite is real PostgreSQL). */
class SqlEventStore implements EventStore {
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #appendWatchers = new Set<() => void>();
  #unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  readonly checkpoints: CheckpointStore;
  readonly #batcher: AppendBatcher;

  constructor(
    readonly engine: string,
    private readonly client: SqlClient,
    private readonly schema: SqlSchema,
    private readonly pollIntervalMs: number,
    readonly leases: LeaseStore & { close?: () => Promise<void> },
  ) {
    this.#batcher = new AppendBatcher(
      async (appends) =>
        (
          await client.query(
            `SELECT append_index, outcome, stream_revision::text AS stream_revision,
             last_sequence::text AS last_sequence, written
           FROM ${schema.name}.append_events($1::jsonb)`,
            [JSON.stringify(appends)],
          )
        ).map(appendOutcomeOfRow),
      { isolateAfter: (error) => !isConnectionError(error) },
    );
    const table = `${schema.name}.checkpoints`;
    this.checkpoints = {
      load: (name) =>
        ResultAsync.fromPromise(
          client.query(`SELECT position FROM ${table} WHERE name = $1`, [name]),
          (cause) => storeFailure(`Loading checkpoint ${name} failed`, cause),
        ).andThen((rows) =>
          Result.fromThrowable(
            () => (rows[0] === undefined ? undefined : checkpointOfRow(rows[0])),
            (cause) =>
              engineFailed(`Loading checkpoint ${name} returned a row of an unexpected shape`, cause),
          )(),
        ),
      store: (name, position) =>
        ResultAsync.fromPromise(
          client.query(
            `INSERT INTO ${table} (name, position) VALUES ($1, $2)
           ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()`,
            [name, position],
          ),
          (cause) => storeFailure(`Storing checkpoint ${name} failed`, cause),
        ).map(() => undefined),
    };
  }

  appendToStream(
    streamName: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): ResultAsync<AppendResult, AppendError> {
    const valid = validateNewEvents(streamName, events);
    if (valid.isErr()) return errAsync(valid.error);
    const append = {
      stream: streamName,
      expectedKind: expectedRevision.kind,
      expectedRevision: expectedRevision.kind === 'exact' ? expectedRevision.revision.toString() : null,
      events: valid.value,
    };
    return ResultAsync.fromPromise(this.#batcher.submit(append), (cause) =>
      storeFailure(`Appending to stream ${streamName} failed`, cause),
    ).andThen((outcome) => {
      const actual = BigInt(outcome.stream_revision);
      if (outcome.outcome === 'conflict')
        return err(wrongExpectedRevision(streamName, expectedRevision, actual));
      // Wake this process's subscribers now; NOTIFY reaches the other processes.
      if (outcome.written > 0) for (const watcher of this.#appendWatchers) watcher();
      return ok({
        nextExpectedRevision: actual,
        position: outcome.last_sequence ?? '',
        written: outcome.written,
      });
    });
  }

  readStream(
    streamName: string,
    options: ReadStreamOptions = {},
  ): ResultAsync<RecordedEvent[], StoreFailure> {
    return ResultAsync.fromPromise(
      this.client.query(
        `SELECT ${eventColumns} FROM ${this.schema.name}.events e
         WHERE stream_name = $1 AND revision >= $2::bigint ORDER BY e.revision LIMIT $3`,
        [streamName, (options.fromRevision ?? 0n).toString(), options.maxCount ?? null],
      ),
      (cause) => storeFailure(`Reading stream ${streamName} failed`, cause),
    ).andThen((rows) => this.#recorded(rows, `Reading stream ${streamName}`));
  }

  readAll(options: ReadAllOptions = {}): ResultAsync<RecordedEvent[], ReadError> {
    const after = options.after === undefined ? 0n : parseSequencePosition(options.after);
    if (after === undefined) return errAsync(invalidPosition(options.after ?? '', 'unparsable'));
    const statement = readAllStatement(this.schema, after, options);
    const query = this.client.query(statement.text, statement.params);
    return ResultAsync.fromPromise(query, (cause) => storeFailure('Reading all streams failed', cause))
      .andThen((rows) => this.#recorded(rows, 'Reading all streams'))
      .andThen((events) =>
        // Only an empty page can hide a position beyond the head: ask for the head only then.
        events.length > 0 || after === 0n
          ? okAsync(events)
          : this.headPosition().andThen((head) =>
              after > BigInt(head ?? '0')
                ? errAsync(invalidPosition(options.after ?? '', 'unknown'))
                : okAsync(events),
            ),
      );
  }

  headPosition(): ResultAsync<string | undefined, StoreFailure> {
    return ResultAsync.fromPromise(
      this.client.query(`SELECT max(sequence)::text AS head FROM ${this.schema.name}.events`),
      (cause) => storeFailure('Reading the head position failed', cause),
    ).andThen((rows) =>
      Result.fromThrowable(
        () => headOfRow(rows[0]),
        (cause) => engineFailed('Reading the head position returned a row of an unexpected shape', cause),
      )(),
    );
  }

  /** Rows as events; a row of another shape is the engine's failure, not the caller's. */
  #recorded(rows: unknown[], what: string): Result<RecordedEvent[], StoreFailure> {
    return Result.fromThrowable(
      () => rows.map(recordedEventOfRow),
      (cause) => engineFailed(`${what} returned a row of an unexpected shape`, cause),
    )();
  }

  subscribe(options: SubscriptionOptions): Subscription {
    const subscription = startCatchUpSubscription(
      {
        readAll: (readOptions) => this.readAll(readOptions),
        headPosition: () => this.headPosition(),
        comparePositions: compareSequencePositions,
        watchAppends: (onAppend) => this.#watchAppends(onAppend),
        checkpoints: this.checkpoints,
        pollIntervalMs: this.pollIntervalMs,
      },
      options,
    );
    return this.#subscriptions.track(subscription);
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#subscriptions.stopAll();
    await this.leases.close?.();
    const unlisten = await this.#unlisten;
    await unlisten?.();
    await this.client.close();
  }

  #watchAppends(onAppend: () => void): () => void {
    this.#appendWatchers.add(onAppend);
    // One LISTEN per store, fanned out; if it cannot be set up, the fallback poll remains.
    this.#unlisten ??= this.client
      .listen(this.schema.channel, () => {
        for (const watcher of this.#appendWatchers) watcher();
      })
      .catch(() => undefined);
    return () => this.#appendWatchers.delete(onAppend);
  }
}

/** Creates the schema if missing, then opens the engine on it. */
export const openSqlEventStore = async (options: SqlEventStoreOptions): Promise<EventStore> => {
  const schema = sqlSchema(options.schema, options.indexedDataFields);
  await options.client.exec(schema.migration);
  return new SqlEventStore(
    options.engine,
    options.client,
    schema,
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    options.leases ?? createLocalLeaseStore(),
  );
};
