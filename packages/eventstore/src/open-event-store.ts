import { z } from 'zod';
import { createEsdbEventStore } from './esdb/esdb-event-store.js';
import type { EventStore } from './port.js';
import { createPostgresEventStore } from './postgres/pg-event-store.js';
import { createPgliteEventStore } from './postgres/pglite-event-store.js';

const openConfigSchema = z.object({
  eventstoreUrl: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  dataDir: z.string().min(1),
  /** PostgreSQL schema of the server engine (lets several deployments or test runs share a database). */
  databaseSchema: z.string().min(1).optional(),
  /**
   * Top-level data fields the SQL engines index for `readAll({ where })`; the server passes
   * the fields its queries filter on. Other engines filter without an index.
   */
  indexedDataFields: z.array(z.string()).optional(),
  /** Called once if the embedded engine breaks beyond repair; the server exits on it. */
  onEmbeddedEngineBroken: z
    .custom<(cause: unknown) => void>((value) => typeof value === 'function')
    .optional(),
  /** Leases of a process that stopped confirming are freed after this long (docs/operations.md). */
  leaseTimeoutMs: z.number().int().positive().optional(),
  /** Bounds on every wait for PostgreSQL (docs/limits.md); the server passes its `store` config. */
  timeouts: z
    .object({
      connectTimeoutMs: z.number().int().positive(),
      statementTimeoutMs: z.number().int().positive(),
      queryTimeoutMs: z.number().int().positive(),
      idleInTransactionTimeoutMs: z.number().int().positive(),
      poolSize: z.number().int().positive(),
    })
    .partial()
    .optional(),
});

export type OpenEventStoreConfig = z.input<typeof openConfigSchema>;

/**
 * docs/operations.md: EVENTSTORE_URL (ESDB/KurrentDB) wins, else DATABASE_URL (PostgreSQL), else
 * the embedded PGlite engine in DATA_DIR, so a laptop needs no set-up at all.
 */
export const openEventStore = async (config: OpenEventStoreConfig): Promise<EventStore> => {
  const {
    eventstoreUrl,
    databaseUrl,
    dataDir,
    databaseSchema,
    timeouts,
    onEmbeddedEngineBroken,
    indexedDataFields,
    leaseTimeoutMs,
  } = openConfigSchema.parse(config);
  const leases = leaseTimeoutMs === undefined ? {} : { leaseTimeoutMs };
  const indexed = indexedDataFields === undefined ? {} : { indexedDataFields };
  if (eventstoreUrl !== undefined)
    return createEsdbEventStore({ connectionString: eventstoreUrl, ...leases });
  if (databaseUrl !== undefined) {
    return createPostgresEventStore({
      connectionString: databaseUrl,
      ...(databaseSchema === undefined ? {} : { schema: databaseSchema }),
      ...(timeouts === undefined ? {} : { timeouts }),
      ...indexed,
      ...leases,
    });
  }
  return createPgliteEventStore({
    dataDir,
    ...indexed,
    ...(onEmbeddedEngineBroken === undefined ? {} : { onBroken: onEmbeddedEngineBroken }),
  });
};
