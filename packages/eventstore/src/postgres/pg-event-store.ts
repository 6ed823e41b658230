import pg from 'pg';
import { z } from 'zod';
import type { EventStore } from '../port.js';
import type { SqlClient } from './sql-client.js';
import { openSqlEventStore } from './sql-event-store.js';

const postgresOptionsSchema = z.object({
  connectionString: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL'),
  /** Lets several stores (and tests) share one database; default `calsync`. */
  schema: z.string().optional(),
  poolSize: z.number().int().positive().optional(),
  pollIntervalMs: z.number().int().positive().optional(),
});

export type PostgresEventStoreOptions = z.input<typeof postgresOptionsSchema>;

/** Wait before re-opening a dropped LISTEN connection; the fallback poll covers the gap. */
const RELISTEN_AFTER_MS = 1000;

/**
 * LISTEN needs a connection of its own, outside the pool. When it drops, it is opened
 * again; notifications missed meanwhile are caught by the subscriptions' fallback poll.
 */
const listenOn = async (
  connectionString: string,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> => {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString });
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

const pgSqlClient = (pool: pg.Pool, connectionString: string): SqlClient => ({
  query: async (text, params) => (await pool.query(text, params ? [...params] : undefined)).rows,
  // A multi-statement simple query runs as one implicit transaction.
  exec: async (script) => {
    await pool.query(script);
  },
  listen: (channel, onNotify) => listenOn(connectionString, channel, onNotify),
  close: () => pool.end(),
});

/** The server engine: PostgreSQL at `connectionString`, tables in `schema` (created if missing). */
export const createPostgresEventStore = async (options: PostgresEventStoreOptions): Promise<EventStore> => {
  const { connectionString, schema, poolSize, pollIntervalMs } = postgresOptionsSchema.parse(options);
  const pool = new pg.Pool({ connectionString, max: poolSize ?? 10 });
  // An idle pooled connection that dies is replaced on the next query; do not crash.
  pool.on('error', () => undefined);
  try {
    return await openSqlEventStore({
      engine: 'postgres',
      client: pgSqlClient(pool, connectionString),
      schema: schema ?? 'calsync',
      pollIntervalMs,
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
};
