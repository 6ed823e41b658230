import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * A private PostgreSQL cluster of its own (never the shared one on 5432), made with
 * pg_createcluster, that a test can freeze with SIGSTOP (the server accepts TCP but answers
 * nothing, the worst kind of outage) and thaw with SIGCONT. Each test file uses its own name
 * and port, so files running in parallel never touch each other's cluster.
 */
export interface PrivateClusterOptions {
  /** The cluster's name, e.g. `calsyncfreeze`. */
  name: string;
  /** Its port; never 5432. */
  port: number;
  /** PostgreSQL major version whose pg_createcluster is installed. */
  version?: string;
}

/** Why a private cluster cannot be made here, in one line; undefined when it can. */
export const privateClusterSkipReason: string | undefined = !existsSync('/usr/bin/pg_createcluster')
  ? 'pg_createcluster is not installed'
  : process.getuid?.() !== 0
    ? 'creating a private PostgreSQL cluster needs root'
    : undefined;

/** Every command bounded: a hung tool must fail the test, not hang it. */
const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

export class PrivatePostgresCluster {
  readonly name: string;
  readonly port: number;
  readonly version: string;
  private frozen = false;

  constructor(options: PrivateClusterOptions) {
    if (options.port === 5432) throw new Error('a private cluster never uses the shared port 5432');
    this.name = options.name;
    this.port = options.port;
    this.version = options.version ?? '15';
  }

  /** A superuser connection to its `postgres` database (trust authentication on loopback). */
  get connectionString(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Drops any leftover of an earlier run, creates the cluster, trusts loopback, starts it. */
  create(): void {
    this.drop();
    run('pg_createcluster', [this.version, this.name, '-p', String(this.port)]);
    writeFileSync(
      `/etc/postgresql/${this.version}/${this.name}/pg_hba.conf`,
      'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n',
    );
    run('pg_ctlcluster', [this.version, this.name, 'start']);
  }

  /** Thaws it if frozen, then stops and removes it; nothing to do when it is not there. */
  drop(): void {
    if (this.frozen) this.thaw();
    try {
      run('pg_dropcluster', [this.version, this.name, '--stop']);
    } catch {
      // Not there: nothing to drop.
    }
  }

  /** SIGSTOP to this cluster's processes only. */
  freeze(): void {
    this.signal('SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT to this cluster's processes only. */
  thaw(): void {
    this.signal('SIGCONT');
    this.frozen = false;
  }

  /**
   * The postmaster first, so it forks no backend meanwhile, then its children (backends,
   * checkpointer, walwriter…): this cluster's processes only.
   */
  private signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    const pidFile = `/var/lib/postgresql/${this.version}/${this.name}/postmaster.pid`;
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(postmaster) || postmaster <= 1) throw new Error(`no postmaster pid in ${pidFile}`);
    process.kill(postmaster, signal);
    let children: number[] = [];
    try {
      children = run('pgrep', ['-P', String(postmaster)])
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(Number);
    } catch {
      // pgrep exits 1 when the postmaster has no children.
    }
    for (const pid of children) {
      try {
        process.kill(pid, signal);
      } catch {
        // A child that ended meanwhile.
      }
    }
  }
}
