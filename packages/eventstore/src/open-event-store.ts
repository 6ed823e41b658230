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
  /** Called once if the embedded engine breaks beyond repair; the server exits on it. */
  onEmbeddedEngineBroken: z
    .custom<(cause: unknown) => void>((value) => typeof value === 'function')
    .optional(),
});

export type OpenEventStoreConfig = z.input<typeof openConfigSchema>;

/**
 * SPEC §11: EVENTSTORE_URL (ESDB/KurrentDB) wins, else DATABASE_URL (PostgreSQL), else
 * the embedded PGlite engine in DATA_DIR, so a laptop needs no set-up at all.
 */
export const openEventStore = async (config: OpenEventStoreConfig): Promise<EventStore> => {
  const { eventstoreUrl, databaseUrl, dataDir, databaseSchema, onEmbeddedEngineBroken } =
    openConfigSchema.parse(config);
  if (eventstoreUrl !== undefined) return createEsdbEventStore({ connectionString: eventstoreUrl });
  if (databaseUrl !== undefined) {
    return createPostgresEventStore({
      connectionString: databaseUrl,
      ...(databaseSchema === undefined ? {} : { schema: databaseSchema }),
    });
  }
  return createPgliteEventStore({
    dataDir,
    ...(onEmbeddedEngineBroken === undefined ? {} : { onBroken: onEmbeddedEngineBroken }),
  });
};
