import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const NOBODY = 65_534;
/**
 * Why the "may not write" case cannot run here: it needs root (to start calsync as nobody),
 * and nobody must be able to read this checkout (a clone under a private temp folder is not).
 */
const nobodySkipReason = ((): string | undefined => {
  if (process.getuid?.() !== 0) return 'starting calsync as another user needs root';
  try {
    execFileSync(
      process.execPath,
      ['-e', `require('node:fs').accessSync(${JSON.stringify(join(root, 'apps/server/src/main.ts'))})`],
      {
        uid: NOBODY,
        gid: NOBODY,
        timeout: 10_000,
        stdio: 'ignore',
      },
    );
    return undefined;
  } catch {
    return 'the user nobody cannot read this checkout';
  }
})();
const databaseUrl = process.env.TEST_DATABASE_URL;
/** A spawned server that has not ended by then is killed and the test fails. */
const PROCESS_TIMEOUT_MS = 25_000;

interface Ended {
  code: number | null;
  output: string;
  elapsedMs: number;
}

/** Runs `pnpm start`'s command with `env`, bounded: killed after PROCESS_TIMEOUT_MS. */
const startCalsync = (env: Record<string, string>, user?: { uid: number; gid: number }): Promise<Ended> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@calsync/source', 'apps/server/src/main.ts'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          PORT: '0',
          LOG_LEVEL: 'silent',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...user,
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`calsync did not end within ${PROCESS_TIMEOUT_MS} ms:\n${output}`));
    }, PROCESS_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, elapsedMs: Date.now() - started });
    });
  });

/** A refusal is a sentence in both languages, never a stack trace. */
const expectRefusal = (ended: Ended, code: number, english: RegExp, german: RegExp): void => {
  expect(ended.code, ended.output).toBe(code);
  expect(ended.output).toContain('calsync did not start.');
  expect(ended.output).toContain('calsync wurde nicht gestartet.');
  expect(ended.output).toMatch(english);
  expect(ended.output).toMatch(german);
  expect(ended.output).not.toMatch(/^\s{4}at /m);
  expect(ended.output).not.toMatch(/UnhandledPromiseRejection|ExitStatus/);
};

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'calsync-startup-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A configuration file with one company and the store timeouts given. */
const configWith = (store: Record<string, number>): string => {
  const path = join(scratch, `calsync-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(
    path,
    JSON.stringify({ companies: [{ id: 'salon', apiTokenSha256: ['a'.repeat(64)] }], store }),
  );
  return path;
};

describe('calsync refuses to start on a data folder that is not its own', () => {
  it('refuses a DATA_DIR holding a stray file with exit 78 and leaves the file alone', async () => {
    const dataDir = join(scratch, 'stray');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'not a database');
    const ended = await startCalsync({ DATA_DIR: dataDir });
    expectRefusal(
      ended,
      78,
      /holds things that are not calsync's store \(notes\.txt\)/,
      /nicht zum Speicher von calsync/,
    );
    expect(readdirSync(dataDir)).toEqual(['notes.txt']);
  });

  it('refuses a DATA_DIR that is a file with exit 78', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const ended = await startCalsync({ DATA_DIR: file });
    expectRefusal(ended, 78, /is a file, not a folder/, /ist eine Datei, kein Ordner/);
  });

  it('refuses a DATA_DIR that cannot be created with exit 73', async () => {
    const file = join(scratch, 'blocker');
    writeFileSync(file, '');
    const ended = await startCalsync({ DATA_DIR: join(file, 'data') });
    expectRefusal(
      ended,
      73,
      /cannot be created or written \(ENOTDIR\)/,
      /kann nicht angelegt oder beschrieben werden/,
    );
  });

  it.skipIf(nobodySkipReason !== undefined)(
    `refuses a DATA_DIR its user may not write with exit 77 (run as nobody${nobodySkipReason ? `; skipped: ${nobodySkipReason}` : ''})`,
    async () => {
      const parent = join(scratch, 'root-only');
      mkdirSync(parent, { mode: 0o755 });
      chmodSync(scratch, 0o755);
      const ended = await startCalsync({ DATA_DIR: join(parent, 'data') }, { uid: NOBODY, gid: NOBODY });
      expectRefusal(
        ended,
        77,
        /may not be written by this user \(EACCES\)/,
        /darf von diesem Benutzer nicht beschrieben werden/,
      );
    },
  );

  it('refuses a damaged embedded store with exit 65', async () => {
    const dataDir = join(scratch, 'damaged');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '99\n');
    const ended = await startCalsync({ DATA_DIR: dataDir });
    expectRefusal(ended, 65, /looks like a database but is damaged/, /beschädigt/);
  });
});

describe('calsync refuses to start on a bad configuration or a folder in use', () => {
  it('refuses an invalid environment with exit 78, naming the key in both languages', async () => {
    const ended = await startCalsync({ PORT: 'not-a-port', DATA_DIR: join(scratch, 'unused') });
    expectRefusal(
      ended,
      78,
      /The configuration \(environment\) is invalid:\n {2}- PORT:/,
      /Die Konfiguration ist ungültig:\n {2}- PORT:/,
    );
  });

  it('refuses a data folder another live process holds with exit 75', async () => {
    const dataDir = join(scratch, 'held');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    // This test process is alive: the lock is not a stale one to take over.
    writeFileSync(join(dataDir, 'calsync.lock'), String(process.pid));
    const ended = await startCalsync({ DATA_DIR: dataDir });
    expectRefusal(
      ended,
      75,
      new RegExp(`in use by process ${process.pid}`),
      new RegExp(`von Prozess ${process.pid} benutzt`),
    );
  });
});

describe('calsync refuses to start on a PostgreSQL server that does not answer', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // Accepts connections and never says a word: a hung server, not a refused port.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('gives up after the connect timeout with exit 69, and never prints the password', async () => {
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const ended = await startCalsync({
      DATABASE_URL: `postgres://calsync:hunter2@127.0.0.1:${address.port}/calsync`,
      CALSYNC_CONFIG: configWith({ connectTimeoutMs: 1_000 }),
    });
    expectRefusal(
      ended,
      69,
      /does not answer \(no answer within 1000 ms\)/,
      /antwortet nicht \(keine Antwort binnen 1000 ms\)/,
    );
    expect(ended.output).not.toContain('hunter2');
    // Start-up itself (tsx, imports) takes a few seconds on a busy machine; the wait is bounded by 2 × 1 s.
    expect(ended.elapsedMs).toBeLessThan(PROCESS_TIMEOUT_MS);
  });
});

describe.skipIf(!databaseUrl)(
  `calsync refuses to start on a PostgreSQL schema that is not its own${databaseUrl ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`,
  () => {
    const schema = `foreign_${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA ${schema}`);
        await client.query(`CREATE TABLE ${schema}.invoices (id integer PRIMARY KEY)`);
      } finally {
        await client.end();
      }
    });

    afterAll(async () => {
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    });

    it('refuses a schema holding tables calsync did not create with exit 78 and creates nothing in it', async () => {
      const ended = await startCalsync({ DATABASE_URL: databaseUrl ?? '', DATABASE_SCHEMA: schema });
      expectRefusal(
        ended,
        78,
        /holds tables that are not calsync's \(invoices\)/,
        /Tabellen, die nicht zu calsync gehören/,
      );
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        const tables = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
          [schema],
        );
        expect(tables.rows.map((row) => row.table_name)).toEqual(['invoices']);
      } finally {
        await client.end();
      }
    });
  },
);
