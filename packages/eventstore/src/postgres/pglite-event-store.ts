import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { z } from 'zod';
import type { EventStore } from '../port.js';
import type { SqlClient } from './sql-client.js';
import { openSqlEventStore } from './sql-event-store.js';

const pgliteOptionsSchema = z.object({
  /** Folder of the embedded database; without it the database lives in memory. */
  dataDir: z.string().min(1).optional(),
  schema: z.string().optional(),
  pollIntervalMs: z.number().int().positive().optional(),
});

export type PgliteEventStoreOptions = z.input<typeof pgliteOptionsSchema>;

/** PGlite is one in-process connection: it queues concurrent queries itself. */
const pgliteSqlClient = (db: PGlite): SqlClient => ({
  query: async (text, params) => (await db.query(text, params ? [...params] : undefined)).rows,
  exec: async (script) => {
    await db.transaction(async (tx) => {
      await tx.exec(script);
    });
  },
  listen: (channel, onNotify) => db.listen(channel, () => onNotify()),
  close: () => db.close(),
});

/** The zero-setup engine: real PostgreSQL compiled to WASM, stored in `dataDir`. */
export const createPgliteEventStore = async (options: PgliteEventStoreOptions = {}): Promise<EventStore> => {
  const { dataDir, schema, pollIntervalMs } = pgliteOptionsSchema.parse(options);
  // Zero set-up: DATA_DIR=./var/calsync works without creating the folders first.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  try {
    return await openSqlEventStore({
      engine: 'pglite',
      client: pgliteSqlClient(db),
      schema: schema ?? 'calsync',
      pollIntervalMs,
    });
  } catch (error) {
    await db.close();
    throw error;
  }
};
