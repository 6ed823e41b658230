import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStore, expected, openEventStore } from '../src/index.js';
import { newEvent } from './conformance-fixture.js';

/**
 * A private PostgreSQL cluster of its own (never the shared one on 5432), frozen with
 * SIGSTOP: the server accepts TCP but answers nothing, the worst kind of outage.
 */
const VERSION = '15';
const CLUSTER = 'calsyncfreeze';
const PORT = 55433;
const CONFIG_DIR = `/etc/postgresql/${VERSION}/${CLUSTER}`;
const PID_FILE = `/var/lib/postgresql/${VERSION}/${CLUSTER}/postmaster.pid`;
const connectionString = `postgres://postgres@127.0.0.1:${PORT}/postgres`;

const skipReason = !existsSync('/usr/bin/pg_createcluster')
  ? 'pg_createcluster is not installed'
  : process.getuid?.() !== 0
    ? 'creating a private PostgreSQL cluster needs root'
    : undefined;

/** Every command bounded: a hung tool must fail the test, not hang it. */
const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

const dropCluster = (): void => {
  try {
    run('pg_dropcluster', [VERSION, CLUSTER, '--stop']);
  } catch {
    // Not there: nothing to drop.
  }
};

/** The postmaster and its children (backends, checkpointer, walwriter…) of this cluster only. */
const clusterPids = (): number[] => {
  const postmaster = Number(readFileSync(PID_FILE, 'utf8').split('\n')[0]);
  let children: number[] = [];
  try {
    children = run('pgrep', ['-P', String(postmaster)])
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    // pgrep exits 1 when the postmaster has no children.
  }
  return [postmaster, ...children];
};

const signalCluster = (signal: 'SIGSTOP' | 'SIGCONT'): void => {
  for (const pid of clusterPids()) {
    try {
      process.kill(pid, signal);
    } catch {
      // A child that ended meanwhile.
    }
  }
};

const timeouts = {
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 1_000,
  queryTimeoutMs: 1_500,
  idleInTransactionTimeoutMs: 1_000,
  poolSize: 2,
};

describe.skipIf(skipReason !== undefined)(
  `a frozen PostgreSQL server${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let store: EventStore | undefined;
    let frozen = false;

    beforeAll(async () => {
      dropCluster();
      run('pg_createcluster', [VERSION, CLUSTER, '-p', String(PORT)]);
      const hba = `${CONFIG_DIR}/pg_hba.conf`;
      writeFileSync(
        hba,
        'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n',
      );
      run('pg_ctlcluster', [VERSION, CLUSTER, 'start']);
      // Opened the way the server opens it: its `store` config, timeouts included.
      store = await openEventStore({
        databaseUrl: connectionString,
        databaseSchema: 'calsync_frozen',
        dataDir: '/nonexistent/unused-with-a-database-url',
        timeouts,
      });
    });

    afterAll(async () => {
      if (frozen) signalCluster('SIGCONT');
      await store?.close().catch(() => undefined);
      dropCluster();
    });

    it('answers while the server is alive, then fails an append as unavailable within its timeouts once the server freezes', async () => {
      if (!store) throw new Error('the store did not open');
      const before = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceCreated')],
        expected.noStream,
      );
      expect(before.isOk()).toBe(true);
      expect(await store.ping()).toBe(true);

      signalCluster('SIGSTOP');
      frozen = true;

      const started = Date.now();
      const append = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceRenamed')],
        expected.exact(0n),
      );
      const elapsed = Date.now() - started;
      expect(append.isErr()).toBe(true);
      expect(append.isErr() && append.error.code).toBe('EVENTSTORE.UNAVAILABLE');
      // The query timeout (1.5 s) or the connect timeout (1 s), plus scheduling slack.
      expect(elapsed).toBeLessThan(timeouts.queryTimeoutMs + 2_000);
    });

    it('says the frozen server is not reachable within about a second when pinged', async () => {
      if (!store) throw new Error('the store did not open');
      const started = Date.now();
      expect(await store.ping()).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_800);
    });

    it('answers again once the server thaws, and a retried append is never written twice', async () => {
      if (!store) throw new Error('the store did not open');
      signalCluster('SIGCONT');
      frozen = false;
      await expect.poll(() => store?.ping(), { timeout: 10_000, interval: 200 }).toBe(true);
      // The append that timed out may still have run once the server woke (the query sat in
      // its socket): unavailable means "outcome unknown", and the expected revision makes
      // the retry safe — it is written, or it conflicts because it already was.
      const retry = await store.appendToStream(
        'service-frozen',
        [newEvent('ServiceRenamed')],
        expected.exact(0n),
      );
      const stream = await store.readStream('service-frozen');
      expect(stream.map((event) => event.type)).toEqual(['ServiceCreated', 'ServiceRenamed']);
      if (retry.isErr()) expect(retry.error.code).toBe('EVENTSTORE.WRONG_EXPECTED_REVISION');
    });
  },
);
