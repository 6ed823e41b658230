import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import pg from 'pg';
import { ClusterProcess, type ServerLogEntry } from './cluster-process.js';
import type { Tenant } from './tenants.js';

/**
 * Several calsync processes on one PostgreSQL schema of their own, the Cal.com simulator in the test
 * process, and a book of who holds which team's lease (from the instances' `team lease …` log
 * lines, docs/operations.md). For the multi-instance tests (test/multi-instance.test.ts).
 */

export interface ClusterSettings {
  /** The PostgreSQL server (TEST_DATABASE_URL); the world makes a schema `<prefix><random>` there. */
  databaseUrl: string;
  schemaPrefix: string;
  tenants: readonly Tenant[];
  instances: number;
  /** The `cluster` section of the configuration file. */
  cluster: { leaseCheckMs: number; takeoverMs: number };
  reconciliationIntervalMinutes: number;
  /** Any further sections of the configuration file (merged over the defaults here). */
  extraConfig?: Record<string, unknown>;
}

/** One answer of calsync over HTTP; `status` 0 when the connection failed (the instance died). */
export interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
  error?: string;
}

/** A request to one instance, bounded by `timeoutMs`; a refused or cut connection answers status 0. */
export async function callInstance(
  baseUrl: string,
  method: string,
  path: string,
  options: { token: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number },
): Promise<Answer> {
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, headers: response.headers, json };
  } catch (error) {
    return { status: 0, headers: new Headers(), json: null, error: String(error) };
  }
}

/** A lease line as one instance logged it, with the time the test saw it. */
export interface LeaseLine {
  at: number;
  process: string;
  instanceId: string;
  msg: 'team lease taken' | 'team lease released' | 'team lease lost';
  teamId: number;
  /** Why it was released or lost, as logged. */
  reason?: string;
}

const leaseMessages = new Set(['team lease taken', 'team lease released', 'team lease lost']);

/**
 * Who holds each team's lease, as the instances say. A line of an incarnation that is already gone
 * (buffered output read after a SIGKILL) is kept in the history but moves nothing.
 */
export class LeaseBook {
  readonly lines: LeaseLine[] = [];
  private readonly holders = new Map<number, string>();
  /** Per team: how many times its lease went to another instance than the one that had it first. */
  readonly handovers = new Map<number, number>();
  /** Per team: SIGKILLs of the instance holding its lease. */
  readonly holderKills = new Map<number, number>();
  /** A lease taken while another live instance still said it held it. */
  readonly overlaps: Array<{ teamId: number; at: number; text: string }> = [];
  private readonly everHeld = new Set<number>();
  private readonly waiters = new Set<() => void>();

  attach(member: ClusterProcess, members: readonly ClusterProcess[]): void {
    member.onLog((entry: ServerLogEntry) => {
      if (!entry.msg || !leaseMessages.has(entry.msg) || typeof entry.teamId !== 'number') return;
      const line: LeaseLine = {
        at: Date.now(),
        process: member.name,
        instanceId: String(entry.instanceId ?? ''),
        msg: entry.msg as LeaseLine['msg'],
        teamId: entry.teamId,
        ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
      };
      this.lines.push(line);
      if (!member.running || line.instanceId !== member.instanceId) return;
      const current = this.holders.get(line.teamId);
      if (line.msg === 'team lease taken') {
        const other = members.find((p) => p.name === current);
        if (current && current !== member.name && other?.running) {
          this.overlaps.push({
            teamId: line.teamId,
            at: line.at,
            text: `team ${line.teamId} taken by ${line.instanceId} while ${other.instanceId} held it`,
          });
        }
        if (this.everHeld.has(line.teamId) && current !== member.name) {
          this.handovers.set(line.teamId, (this.handovers.get(line.teamId) ?? 0) + 1);
        }
        this.everHeld.add(line.teamId);
        this.holders.set(line.teamId, member.name);
      } else if (current === member.name) {
        this.holders.delete(line.teamId);
      }
      for (const wake of this.waiters) wake();
    });
  }

  /** The last `count` lease lines of one team up to `ms` after `at`, for a report. */
  history(teamId: number, at: number, ms: number, count = 12): string[] {
    return this.lines
      .filter((line) => line.teamId === teamId && line.at <= at + ms)
      .slice(-count)
      .map(
        (line) =>
          `${line.at - at >= 0 ? '+' : ''}${line.at - at} ms ${line.instanceId}: ${line.msg}${line.reason ? ` (${line.reason})` : ''}`,
      );
  }

  /** The name of the process holding the team's lease, or undefined while nobody says so. */
  holderOf(teamId: number): string | undefined {
    return this.holders.get(teamId);
  }

  /** Records a SIGKILL of `process`: the teams it held have no holder until another says so. */
  killed(member: ClusterProcess): number[] {
    const teams: number[] = [];
    for (const [teamId, holder] of this.holders) {
      if (holder !== member.name) continue;
      teams.push(teamId);
      this.holders.delete(teamId);
      this.holderKills.set(teamId, (this.holderKills.get(teamId) ?? 0) + 1);
    }
    return teams;
  }

  /** Resolves once `ready()` holds after some lease line, or rejects after `timeoutMs`. */
  async until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/** mulberry32: kill moments, targets and edits are reproducible from a printed seed. */
export function seededRandom(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ClusterWorld {
  readonly processes: ClusterProcess[];
  readonly leases = new LeaseBook();

  private constructor(
    readonly simulator: CalcomSimulator,
    readonly schema: string,
    private readonly databaseUrl: string,
    private readonly dir: string,
    env: Record<string, string>,
    count: number,
  ) {
    this.processes = Array.from({ length: count }, (_, i) => new ClusterProcess(`node${i}`, env));
    for (const member of this.processes) this.leases.attach(member, this.processes);
  }

  static async start(settings: ClusterSettings): Promise<ClusterWorld> {
    const simulator = await startCalcomSimulator({
      keys: settings.tenants.map((tenant) => ({ apiKey: tenant.apiKey, teamIds: [tenant.teamId] })),
      teams: settings.tenants.map((tenant) => ({ id: tenant.teamId, name: `${tenant.id} team` })),
      rateLimit: { limit: 1_000_000, windowMs: 60_000, blockMs: 60_000 },
    });
    const schema = `${settings.schemaPrefix}${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), `calsync-${settings.schemaPrefix}`));
    const config = {
      companies: settings.tenants.map((tenant) => ({
        id: tenant.id,
        apiTokenSha256: [createHash('sha256').update(tenant.token).digest('hex')],
        calcom: {
          apiUrl: simulator.url,
          teamId: tenant.teamId,
          apiKey: tenant.apiKey,
          webhookSecret: tenant.webhookSecret,
        },
      })),
      sync: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 200, rateLimitPerMinute: 1_000_000 },
      reconciliation: { intervalMinutes: settings.reconciliationIntervalMinutes },
      http: { rateLimit: { perIpPerMinute: 1_000_000, perTokenPerMinute: 1_000_000 } },
      cluster: settings.cluster,
      ...settings.extraConfig,
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env = {
      CALSYNC_CONFIG: join(dir, 'config.json'),
      DATABASE_URL: settings.databaseUrl,
      DATABASE_SCHEMA: schema,
      LOG_LEVEL: 'info',
    };
    return new ClusterWorld(simulator, schema, settings.databaseUrl, dir, env, settings.instances);
  }

  /** The running instances that listen. */
  live(): ClusterProcess[] {
    return this.processes.filter((p) => p.running && p.url !== null);
  }

  /** The events of one stream, straight from the schema's `events` table, in store order. */
  async streamEvents(streamName: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query<{ event_type: string; data: Record<string, unknown> }>(
        `SELECT event_type, data FROM ${this.schema}.events WHERE stream_name = $1 ORDER BY sequence LIMIT 100000`,
        [streamName],
      );
      return rows.rows.map((row) => ({ type: row.event_type, data: row.data }));
    } finally {
      await client.end();
    }
  }

  /** The last lines of every instance, for a failure message. */
  tails(): string {
    return this.processes.map((p) => p.tail.slice(-20).join('\n')).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill('SIGKILL')));
    await this.simulator.close();
    rmSync(this.dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } finally {
      await client.end();
    }
  }
}
