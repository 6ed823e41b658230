import { err, ok, type Result } from 'neverthrow';
import pg from 'pg';
import { z } from 'zod';
import { createPgLeaseStore } from '../leases/pg-lease-store.js';
import type { EventStore } from '../port.js';
import { indexedDataFieldSchema } from './schema-sql.js';
import type { SqlClient } from './sql-client.js';
import { openSqlEventStore } from './sql-event-store.js';

const postgresOptionsSchema = z.object({
  connectionString: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
  /** Lets several stores (and tests) share one database; default `calsync`. */
  schema: z.string().optional(),
  /** Superseded by `timeouts.poolSize` when both are given. */
  poolSize: z.number().int().positive().optional(),
  pollIntervalMs: z.number().int().positive().optional(),
  /** Top-level data fields that `readAll({ where })` finds by index (schema-sql.ts). */
  indexedDataFields: z.array(indexedDataFieldSchema).optional(),
  /**
   * The lease session is ended by the server after this long without a confirmation, freeing its
   * leases (docs/operations.md, "Several instances").
   */
  leaseTimeoutMs: z.number().int().positive().default(9_000),
  /** Bounds on every wait for PostgreSQL (docs/limits.md); defaults below. */
  timeouts: z
    .object({
      connectTimeoutMs: z.number().int().positive().default(5_000),
      statementTimeoutMs: z.number().int().positive().default(10_000),
      queryTimeoutMs: z.number().int().positive().default(15_000),
      idleInTransactionTimeoutMs: z.number().int().positive().default(10_000),
      poolSize: z.number().int().positive().optional(),
      /** `ping()` answers false after this long at most (readiness races it anyway). */
      pingTimeoutMs: z.number().int().positive().default(1_000),
    })
    .prefault({}),
});

export type PostgresEventStoreOptions = z.input<typeof postgresOptionsSchema>;
type PostgresTimeouts = z.output<typeof postgresOptionsSchema>['timeouts'];

/**
 * What every connection — pooled or LISTEN — is opened with, so that no wait on the server
 * is unbounded: opening it, one statement on the server, one query seen from here, an idle
 * transaction, and a dead peer (TCP keep-alive).
 */
const connectionConfig = (connectionString: string, timeouts: PostgresTimeouts): pg.ClientConfig => ({
  connectionString,
  connectionTimeoutMillis: timeouts.connectTimeoutMs,
  statement_timeout: timeouts.statementTimeoutMs,
  query_timeout: timeouts.queryTimeoutMs,
  idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
  keepAlive: true,
});

/** Resolves false when `check` has not answered within `ms`; the timer never keeps the process alive. */
const boundedPing = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([check().catch(() => false), expired]);
  } finally {
    clearTimeout(timer);
  }
};

/** Wait before re-opening a dropped LISTEN connection; the fallback poll covers the gap. */
const RELISTEN_AFTER_MS = 1000;

/**
 * LISTEN needs a connection of its own, outside the pool. When it drops, it is opened
 * again; notifications missed meanwhile are caught by the subscriptions' fallback poll.
 */
const listenOn = async (
  config: pg.ClientConfig,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> => {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client(config);
    next.on('notification', () => onNotify());
    next.on('error', () => dropAndRetry(next));
    next.on('end', () => dropAndRetry(next));
    client = next;
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    // Whatever was appended while nobody listened gets caught up now.
    onNotify();
  };
  const dropAndRetry = (dropped: pg.Client): void => {
    if (closed || dropped !== client) return;
    client = undefined;
    dropped.end().catch(() => undefined);
    retry = setTimeout(() => {
      retry = undefined;
      if (closed) return;
      connect().catch(() => {
        if (client) dropAndRetry(client);
      });
    }, RELISTEN_AFTER_MS);
  };

  try {
    await connect();
  } catch (error) {
    closed = true;
    await client?.end().catch(() => undefined);
    throw error;
  }
  return async () => {
    closed = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
};

const pgSqlClient = (pool: pg.Pool, config: pg.ClientConfig): SqlClient => ({
  query: async (text, params) => (await pool.query(text, params ? [...params] : undefined)).rows,
  // A multi-statement simple query runs as one implicit transaction.
  exec: async (script) => {
    await pool.query(script);
  },
  listen: (channel, onNotify) => listenOn(config, channel, onNotify),
  close: () => pool.end(),
});

/** The server engine: PostgreSQL at `connectionString`, tables in `schema` (created if missing). */
export const createPostgresEventStore = async (options: PostgresEventStoreOptions): Promise<EventStore> => {
  const { connectionString, schema, poolSize, pollIntervalMs, timeouts, indexedDataFields, leaseTimeoutMs } =
    postgresOptionsSchema.parse(options);
  const config = connectionConfig(connectionString, timeouts);
  const pool = new pg.Pool({ ...config, max: timeouts.poolSize ?? poolSize ?? 10 });
  // An idle pooled connection that dies is replaced on the next query; do not crash.
  pool.on('error', () => undefined);
  try {
    const store = await openSqlEventStore({
      engine: 'postgres',
      client: pgSqlClient(pool, config),
      schema: schema ?? 'calsync',
      pollIntervalMs,
      leases: createPgLeaseStore({
        connection: config,
        schema: schema ?? 'calsync',
        sessionTimeoutMs: leaseTimeoutMs,
      }),
      ...(indexedDataFields === undefined ? {} : { indexedDataFields }),
    });
    const ping = store.ping.bind(store);
    return Object.assign(store, { ping: () => boundedPing(ping, timeouts.pingTimeoutMs) });
  } catch (error) {
    await pool.end();
    throw error;
  }
};

/** Tables calsync creates in its schema (see schema-sql.ts); anything else there is not ours. */
const CALSYNC_TABLES = new Set(['events', 'checkpoints']);

/** Why a PostgreSQL server is no ground to start on; `detail` is for the operator, never a client. */
export type PostgresGroundProblem =
  | { kind: 'unreachable'; detail: string /** Set when it did not answer in time. */; timedOutMs?: number }
  | { kind: 'rejected'; detail: string }
  | { kind: 'no_database'; detail: string }
  | { kind: 'foreign_tables'; schema: string; tables: string[] };

const groundOptionsSchema = z.object({
  connectionString: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
  schema: z.string().optional(),
  connectTimeoutMs: z.number().int().positive().default(5_000),
});

/** At most this many foreign table names are reported. */
const MAX_REPORTED_TABLES = 10;

/**
 * Checks, before the store is opened, that the server answers within the connect timeout,
 * lets us in, and that the schema holds no tables calsync did not create. Never throws;
 * the whole check is bounded by twice the connect timeout.
 */
export const inspectPostgresGround = async (
  options: z.input<typeof groundOptionsSchema>,
): Promise<Result<void, PostgresGroundProblem>> => {
  const { connectionString, schema, connectTimeoutMs } = groundOptionsSchema.parse(options);
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: connectTimeoutMs,
    statement_timeout: connectTimeoutMs,
    keepAlive: true,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Result<void, PostgresGroundProblem>>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          err({
            kind: 'unreachable',
            detail: `no answer within ${connectTimeoutMs} ms`,
            timedOutMs: connectTimeoutMs,
          }),
        ),
      connectTimeoutMs * 2,
    );
    timer.unref();
  });
  const inspect = async (): Promise<Result<void, PostgresGroundProblem>> => {
    try {
      await client.connect();
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      const detail = cause instanceof Error ? cause.message : String(cause);
      if (typeof code === 'string' && code.startsWith('28')) return err({ kind: 'rejected', detail });
      if (code === '3D000') return err({ kind: 'no_database', detail });
      return err(
        /timeout/i.test(detail)
          ? {
              kind: 'unreachable',
              detail: `no answer within ${connectTimeoutMs} ms`,
              timedOutMs: connectTimeoutMs,
            }
          : { kind: 'unreachable', detail },
      );
    }
    const name = schema ?? 'calsync';
    const rows = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name LIMIT 100`,
      [name],
    );
    const foreign = rows.rows.map((row) => row.table_name).filter((table) => !CALSYNC_TABLES.has(table));
    if (foreign.length > 0)
      return err({ kind: 'foreign_tables', schema: name, tables: foreign.slice(0, MAX_REPORTED_TABLES) });
    return ok(undefined);
  };
  try {
    return await Promise.race([
      inspect().catch(
        (cause: unknown): Result<void, PostgresGroundProblem> =>
          err({ kind: 'unreachable', detail: cause instanceof Error ? cause.message : String(cause) }),
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => undefined);
  }
};
