import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where a server's events live for one test file: the environment that selects it, and its clean-up. */
export interface StoreLocation {
  /** The variables of docs/operations.md that select and place the store. */
  env: Record<string, string>;
  /** Removes everything the store wrote (folder or schema). */
  dispose(): Promise<void>;
}

export interface StoreEngine {
  name: 'embedded' | 'postgres';
  /** Set when this engine cannot run here: why, in one line (shown as the suite's title). */
  skipReason: string | null;
  /** A fresh, empty location; `tag` names the test file in the schema or folder name. */
  create(tag: string): Promise<StoreLocation>;
}

const embedded: StoreEngine = {
  name: 'embedded',
  skipReason: null,
  async create(tag) {
    const dir = mkdtempSync(join(tmpdir(), `calsync-${tag}-`));
    return {
      env: { DATA_DIR: join(dir, 'data') },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgresEngine(databaseUrl: string | undefined): StoreEngine {
  return {
    name: 'postgres',
    skipReason: databaseUrl
      ? null
      : 'skipped: TEST_DATABASE_URL is unset (e.g. postgres://root@127.0.0.1:5432/test)',
    async create(tag) {
      if (!databaseUrl) throw new Error('the postgres engine is skipped without TEST_DATABASE_URL');
      // One schema per test file and run, so parallel files and reruns never see each other's events.
      const schema = `e2e_${tag.replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
      return {
        env: { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema },
        async dispose() {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          try {
            await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

/** The engines the end-to-end suite runs on: always the embedded one, PostgreSQL when CI provides it. */
export function storeEngines(env: NodeJS.ProcessEnv = process.env): StoreEngine[] {
  return [embedded, postgresEngine(env.TEST_DATABASE_URL)];
}

/** The title of a suite on an engine, naming the reason when it is skipped. */
export function engineTitle(engine: StoreEngine): string {
  return engine.skipReason
    ? `on the ${engine.name} engine (${engine.skipReason})`
    : `on the ${engine.name} engine`;
}
