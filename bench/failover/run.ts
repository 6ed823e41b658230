/**
 * Failover time after a SIGKILL (issue 12): three calsync processes on one PostgreSQL schema of
 * the benchmark's own, two Cal.com teams (so the leases spread). Each round SIGKILLs the instance
 * holding one team's lease (found from the `team lease taken` log lines, docs/operations.md),
 * edits a service of that team on another instance right after the kill, and measures the time
 * from the kill until the simulator receives the PATCH carrying that edit; then restarts the
 * killed instance and waits for the leases to settle. Reported next to the configured
 * `cluster.takeoverMs`, the bound the failover must stay within.
 * Usage (from the repo root):
 *   npx -y pnpm@10 --filter @calsync/bench run bench:failover
 * Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (default postgres://root@127.0.0.1:5432/test),
 * BENCH_FAILOVER_KILLS (default 12), BENCH_FAILOVER_LEASE_CHECK_MS and BENCH_FAILOVER_TAKEOVER_MS
 * (default: the configuration's defaults), BENCH_FAILOVER_FREEZE=1 (SIGSTOP the holder instead:
 * the frozen case that `takeoverMs` bounds), BENCH_LABEL (names the README block).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCalcomSimulator } from '@calsync/calcom-simulator';
import { loadConfig, sha256Hex } from '@calsync/server';
import pg from 'pg';
import { z } from 'zod';
import { benchServerUrl } from '../server/bench-env.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';
import { ServerProcess } from './server-process.js';

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_FAILOVER_KILLS: z.coerce.number().int().min(1).max(200).default(12),
    BENCH_FAILOVER_LEASE_CHECK_MS: z.coerce.number().int().min(10).optional(),
    BENCH_FAILOVER_TAKEOVER_MS: z.coerce.number().int().min(30).optional(),
    /** 1: freeze the holder (SIGSTOP) instead of killing it, the case \`takeoverMs\` bounds. */
    BENCH_FAILOVER_FREEZE: z.enum(['0', '1']).default('0'),
    BENCH_LABEL: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default('defaults'),
  })
  .parse(process.env);

const FAILOVER_HEADING = '## Failover when the lease holder dies or freezes';
const freeze = env.BENCH_FAILOVER_FREEZE === '1';
const blow = freeze ? 'SIGSTOP' : 'SIGKILL';
const INSTANCES = 3;
const teams = [
  {
    id: 'alpha',
    teamId: 71,
    token: 'bench-failover-alpha',
    apiKey: 'cal_bench_alpha',
    secret: 'bench-alpha-secret',
  },
  {
    id: 'omega',
    teamId: 72,
    token: 'bench-failover-omega',
    apiKey: 'cal_bench_omega',
    secret: 'bench-omega-secret',
  },
];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const databaseUrl = benchServerUrl(env);
const schema = `ch_bench_failover_${process.pid}_${randomBytes(2).toString('hex')}`;
const scratch = mkdtempSync(join(tmpdir(), 'calsync-bench-failover-'));
const simulator = await startCalcomSimulator({
  keys: teams.map((team) => ({ apiKey: team.apiKey, teamIds: [team.teamId] })),
  teams: teams.map((team) => ({ id: team.teamId, name: team.id })),
  rateLimit: { limit: 10_000_000, windowMs: 60_000, blockMs: 60_000 },
});

const cluster = {
  ...(env.BENCH_FAILOVER_LEASE_CHECK_MS ? { leaseCheckMs: env.BENCH_FAILOVER_LEASE_CHECK_MS } : {}),
  ...(env.BENCH_FAILOVER_TAKEOVER_MS ? { takeoverMs: env.BENCH_FAILOVER_TAKEOVER_MS } : {}),
};
const configText = JSON.stringify({
  companies: teams.map((team) => ({
    id: team.id,
    apiTokenSha256: [sha256Hex(team.token)],
    calcom: { apiUrl: simulator.url, teamId: team.teamId, apiKey: team.apiKey, webhookSecret: team.secret },
  })),
  http: { rateLimit: { perIpPerMinute: 10_000_000, perTokenPerMinute: 10_000_000 } },
  sync: { rateLimitPerMinute: 10_000_000 },
  reconciliation: { intervalMinutes: 0 },
  cluster,
});
const configPath = join(scratch, 'calsync.json');
writeFileSync(configPath, configText);
// The settings as the server will read them (defaults filled in), for the report.
const loaded = loadConfig({ CALSYNC_CONFIG: configPath, LOG_LEVEL: 'silent' }, () => configText);
if (loaded.isErr()) throw new Error(`the benchmark's configuration is invalid: ${loaded.error.message}`);
const { leaseCheckMs, takeoverMs } = loaded.value.cluster;

// Who holds which team's lease, from the lines of the incarnations that are alive.
const holders = new Map<number, ServerProcess>();
const takenAt: Array<{ teamId: number; at: number; by: string }> = [];
let lastLeaseLine = Date.now();
const processes = Array.from(
  { length: INSTANCES },
  (_, i) =>
    new ServerProcess(`failover${i}`, {
      CALSYNC_CONFIG: configPath,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      LOG_LEVEL: 'info',
    }),
);
for (const member of processes) {
  member.onLog((entry, at) => {
    if (typeof entry.teamId !== 'number' || !entry.msg?.startsWith('team lease ')) return;
    if (!member.running || entry.instanceId !== member.instanceId) return;
    lastLeaseLine = at;
    if (entry.msg === 'team lease taken') {
      holders.set(entry.teamId, member);
      takenAt.push({ teamId: entry.teamId, at, by: member.instanceId });
    } else if (holders.get(entry.teamId) === member) holders.delete(entry.teamId);
  });
}

async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, json: (await response.json().catch(() => null)) as unknown };
}

/** Polls `ready` every 5 ms until it holds; throws after `timeoutMs`. */
async function until(
  ready: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs} ms\n${processes.flatMap((p) => p.tail.slice(-8)).join('\n')}`,
      );
    }
    await sleep(5);
  }
}

const settled = () =>
  processes.every((p) => p.url !== null) &&
  teams.every((team) => holders.get(team.teamId)?.url) &&
  Date.now() - lastLeaseLine > 2 * leaseCheckMs + 500;

const percentile = (values: readonly number[], share: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? Number.NaN;
};

const failovers: number[] = [];
const takeovers: number[] = [];
const acknowledgements: number[] = [];
try {
  const [first, ...others] = processes;
  await first!.start();
  await Promise.all(others.map((p) => p.start()));
  await until(settled, 60_000, 'the leases settle');

  // One linked service per team, synced before the rounds start.
  const services = new Map<number, { serviceId: string; eventTypeId: number }>();
  for (const team of teams) {
    const price = { amount: 4200, currency: 'EUR' };
    const eventTypeId = simulator.control.uiCreateEventType(team.teamId, {
      title: `${team.id} haircut`,
      slug: `${team.id}-haircut`,
      price: price.amount,
      currency: price.currency,
    }).id;
    const created = await call(processes[0]!.url!, 'POST', '/v1/services', team.token, {
      name: `${team.id} haircut`,
      slug: `${team.id}-haircut`,
      durationMinutes: 30,
      price,
      calcom: { eventTypeId },
    });
    if (created.status !== 201)
      throw new Error(`registration answered ${created.status}: ${JSON.stringify(created.json)}`);
    services.set(team.teamId, { serviceId: (created.json as { serviceId: string }).serviceId, eventTypeId });
  }

  for (let round = 0; round < env.BENCH_FAILOVER_KILLS; round++) {
    const team = teams[round % teams.length]!;
    const service = services.get(team.teamId)!;
    await until(settled, 60_000, `round ${round + 1}: the leases settle`);
    await until(
      async () => {
        const view = await call(processes[0]!.url!, 'GET', `/v1/services/${service.serviceId}`, team.token);
        return (view.json as { sync?: { status?: string } } | null)?.sync?.status === 'synced';
      },
      30_000,
      `round ${round + 1}: the service is synced`,
    );
    // A restarted instance checks its leases as it starts, so a kill right after it is ready would
    // always land just after its check; a random pause makes the kill's phase arbitrary.
    await sleep(Math.random() * 2 * leaseCheckMs);
    const holder = holders.get(team.teamId)!;
    const editor = processes.find((p) => p !== holder && p.url !== null)!;
    const title = `${team.id} haircut, round ${round + 1}`;

    const killedAt = Date.now();
    if (freeze) holder.freeze();
    const killing = freeze ? Promise.resolve() : holder.kill('SIGKILL');
    holders.delete(team.teamId);
    const edited = await call(editor.url!, 'PATCH', `/v1/services/${service.serviceId}`, team.token, {
      name: title,
    });
    const acknowledgedAt = Date.now();
    if (edited.status !== 200)
      throw new Error(`the edit answered ${edited.status}: ${JSON.stringify(edited.json)}`);
    await killing;
    let reachedAt = 0;
    await until(
      () => {
        const patch = simulator.control
          .requests()
          .find(
            (request) =>
              request.method === 'PATCH' &&
              request.path.endsWith(`/event-types/${service.eventTypeId}`) &&
              (request.body as { title?: unknown } | null)?.title === title,
          );
        if (patch) reachedAt = patch.at;
        return patch !== undefined;
      },
      Math.max(60_000, 3 * takeoverMs),
      `round ${round + 1}: the edit reaches Cal.com`,
    );
    const taken = takenAt.find((line) => line.teamId === team.teamId && line.at >= killedAt);
    failovers.push(reachedAt - killedAt);
    acknowledgements.push(acknowledgedAt - killedAt);
    if (taken) takeovers.push(taken.at - killedAt);
    console.info(
      `round ${round + 1}: ${blow} ${holder.instanceId} (team ${team.teamId}); edit acknowledged by ${editor.instanceId} after ${acknowledgedAt - killedAt} ms; ` +
        `lease taken by ${taken?.by ?? '?'} after ${taken ? taken.at - killedAt : '?'} ms; PATCH in Cal.com after ${reachedAt - killedAt} ms`,
    );
    simulator.control.clearRequests();
    // A frozen holder is killed now (it would only wake to find its leases gone) and restarted.
    if (freeze) await holder.kill('SIGKILL');
    await holder.start();
  }

  const p50 = percentile(failovers, 0.5);
  const max = Math.max(...failovers);
  const share = max / takeoverMs;
  const body = `### Failover after a ${blow} of the lease holder (${env.BENCH_LABEL})

Run on ${machine()}, PostgreSQL at ${new URL(databaseUrl).host} (local, shared with other work).
\`pnpm --filter @calsync/bench run bench:failover\` (bench/failover/run.ts${freeze ? ', `BENCH_FAILOVER_FREEZE=1`' : ''}): ${INSTANCES} calsync processes
on one schema of the benchmark's own, 2 Cal.com teams (the simulator in the benchmark's process).
Each of ${env.BENCH_FAILOVER_KILLS} rounds sends ${blow} to the instance holding one team's lease (from its
\`team lease taken\` line), edits that team's service on another instance at once, and times the
signal until the simulator receives the PATCH carrying the edit; then the instance is
${freeze ? 'killed and ' : ''}restarted and the leases settle (the next round comes a random 0–2 × \`leaseCheckMs\` later).
${
  freeze
    ? `A frozen holder keeps its PostgreSQL session open but stops confirming its leases, so the
server ends the session after \`idle_session_timeout\` (\`takeoverMs − leaseCheckMs\`), and the next lease
check of an instance below its fair share takes the team: this is the case \`takeoverMs\` bounds.`
    : `PostgreSQL frees a dead session's advisory locks as soon as the kernel closes its socket, so
after a SIGKILL the next lease check of an instance below its fair share (every
\`leaseCheckMs\`) takes the team; \`takeoverMs\` is the bound for a holder that stops answering
without dying (\`BENCH_FAILOVER_FREEZE=1\`).`
}

| measure | value |
| --- | --- |
| \`cluster.leaseCheckMs\` / \`cluster.takeoverMs\` | ${count(leaseCheckMs)} ms / ${count(takeoverMs)} ms |
| ${blow}s of a lease holder | ${failovers.length} |
| ${blow} → edit acknowledged by another instance, p50 (max) | ${count(percentile(acknowledgements, 0.5))} ms (${count(Math.max(...acknowledgements))} ms) |
| ${blow} → another instance logs \`team lease taken\`, p50 (max) | ${count(percentile(takeovers, 0.5))} ms (${count(Math.max(...takeovers))} ms) |
| **${blow} → the edit's PATCH reaches Cal.com, p50** | **${count(p50)} ms** |
| **${blow} → the edit's PATCH reaches Cal.com, max** | **${count(max)} ms** |
| max ÷ \`takeoverMs\` | ${share.toFixed(2)} (goal ≤ 1: ${share <= 1 ? 'met' : '**missed**'}) |
`;
  console.info(body);
  console.info(`wrote ${writeReadmeBlock(`failover-bench:${env.BENCH_LABEL}`, body, FAILOVER_HEADING)}`);
} finally {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
  await simulator.close();
  rmSync(scratch, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
