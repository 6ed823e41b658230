import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { z } from 'zod';
import type { EventStore } from '../port.js';
import { guardEmbeddedEngine } from './broken-engine-guard.js';
import { lockDataFolder } from './data-folder-lock.js';
import { indexedDataFieldSchema } from './schema-sql.js';
import type { SqlClient } from './sql-client.js';
import { openSqlEventStore } from './sql-event-store.js';

const pgliteOptionsSchema = z.object({
  /** Folder of the embedded database; without it the database lives in memory. */
  dataDir: z.string().min(1).optional(),
  schema: z.string().optional(),
  pollIntervalMs: z.number().int().positive().optional(),
  /** Top-level data fields that `readAll({ where })` finds by index (schema-sql.ts). */
  indexedDataFields: z.array(indexedDataFieldSchema).optional(),
  /**
   * Called once if the embedded engine stops answering after an internal error (it is then
   * marked broken: every call fails and ping is false). The server exits so that its
   * supervisor restarts it (docs/operations.md).
   */
  onBroken: z.custom<(cause: unknown) => void>((value) => typeof value === 'function').optional(),
});

export type PgliteEventStoreOptions = z.input<typeof pgliteOptionsSchema>;

/** PGlite is one in-process connection: it queues concurrent queries itself. */
const pgliteSqlClient = (db: PGlite, release: () => Promise<void>): SqlClient => ({
  query: async (text, params) => (await db.query(text, params ? [...params] : undefined)).rows,
  exec: async (script) => {
    await db.transaction(async (tx) => {
      await tx.exec(script);
    });
  },
  listen: (channel, onNotify) => db.listen(channel, () => onNotify()),
  close: async () => {
    await db.close();
    await release();
  },
});

async function isDatabaseFolder(dataDir: string): Promise<boolean> {
  return access(join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/** The zero-setup engine: real PostgreSQL compiled to WASM, stored in `dataDir`. */
export const createPgliteEventStore = async (options: PgliteEventStoreOptions = {}): Promise<EventStore> => {
  const { dataDir, schema, pollIntervalMs, onBroken, indexedDataFields } = pgliteOptionsSchema.parse(options);
  // Zero set-up: DATA_DIR=./var/calsync works without creating the folders first.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  // PostgreSQL's initdb wants an empty folder: a new one is locked right after it is created.
  const initialized = dataDir !== undefined && (await isDatabaseFolder(dataDir));
  let release = dataDir !== undefined && initialized ? await lockDataFolder(dataDir) : async () => {};
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(dataDir);
    if (dataDir !== undefined && !initialized) release = await lockDataFolder(dataDir);
    return await openSqlEventStore({
      engine: 'pglite',
      client: guardEmbeddedEngine(pgliteSqlClient(db, release), onBroken ?? (() => {})),
      schema: schema ?? 'calsync',
      pollIntervalMs,
      ...(indexedDataFields === undefined ? {} : { indexedDataFields }),
    });
  } catch (error) {
    await db?.close();
    await release();
    throw error;
  }
};
