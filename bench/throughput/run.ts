/**
 * Command throughput against PostgreSQL's durable-write limit: edits per second over HTTP on
 * calsync server processes (one, then three on one store), each divided by pgbench's
 * single-row-insert rate at the same concurrency on the same server, all measured in this run
 * (pgbench before, between and after the calsync rounds; each round is divided by the mean of
 * the two pgbench runs around it). Usage (from the repo root):
 *   npx -y pnpm@10 bench:throughput
 * Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (the server to create a database of its own on;
 * default postgres://root@127.0.0.1:5432/test), BENCH_TPUT_CLIENTS (concurrent connections,
 * default 10), BENCH_TPUT_SECONDS (length of each measurement, default 10), BENCH_TPUT_SERVICES
 * (services edited round-robin, default 200), BENCH_TPUT_INSTANCES (the rounds, default "1,3"),
 * BENCH_TPUT_CPU_PROF (a folder: the servers run with --cpu-prof and write their profiles there),
 * BENCH_TPUT_LOG_DIR (a folder to keep the servers' logs in; default: a scratch folder, removed),
 * BENCH_LABEL (names the README block).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sha256Hex } from '@calsync/server';
import pg from 'pg';
import { z } from 'zod';
import { createBenchDatabase } from '../server/bench-database.js';
import { benchLabelSchema, benchServerUrl } from '../server/bench-env.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';
import { editLoad, InstanceClients, type LoadResult } from './edit-load.js';
import { BenchServerProcess } from './server-process.js';

const run = promisify(execFile);

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_TPUT_CLIENTS: z.coerce.number().int().min(1).max(200).default(10),
    BENCH_TPUT_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    BENCH_TPUT_SERVICES: z.coerce.number().int().min(1).max(100_000).default(200),
    BENCH_TPUT_INSTANCES: z
      .string()
      .regex(/^[1-9](,[1-9])*$/)
      .default('1,3')
      .transform((list) => list.split(',').map(Number)),
    BENCH_TPUT_CPU_PROF: z.string().min(1).optional(),
    BENCH_TPUT_LOG_DIR: z.string().min(1).optional(),
    BENCH_LABEL: benchLabelSchema,
  })
  .parse(process.env);

const THROUGHPUT_HEADING = '## Command throughput against the durable-write limit';
/** The goal: calsync's edits reach at least this share of what the same PostgreSQL commits. */
const GOAL_SHARE = 0.25;
/** Edits before each measured round, not counted: the servers' code gets compiled first. */
const WARM_UP_SECONDS = 2;
/** How long the other instances may take to see the registered services. */
const CAUGHT_UP_WITHIN_MS = 30_000;

const serverUrl = benchServerUrl(env);
const database = await createBenchDatabase(serverUrl, 'tp_bench_tput');
const databaseUrl = database.url;
const scratch = mkdtempSync(join(tmpdir(), 'calsync-bench-tput-'));

/** pgbench, single-row inserts of a small JSON document, as many clients as the edits have. */
async function pgbenchTps(): Promise<number> {
  const script = join(scratch, 'insert.sql');
  writeFileSync(
    script,
    `INSERT INTO bench_insert (data) VALUES ('{"name":"Haircut","durationMinutes":30}');\n`,
  );
  const { stdout } = await run(
    'pgbench',
    [
      '--no-vacuum',
      `--client=${env.BENCH_TPUT_CLIENTS}`,
      '--jobs=2',
      `--time=${env.BENCH_TPUT_SECONDS}`,
      `--file=${script}`,
      databaseUrl,
    ],
    { timeout: (env.BENCH_TPUT_SECONDS + 60) * 1000, maxBuffer: 10_000_000 },
  );
  const match = /tps = ([\d.]+)/.exec(stdout);
  if (!match?.[1]) throw new Error(`pgbench printed no tps:\n${stdout}`);
  const tps = Number(match[1]);
  console.info(`pgbench: ${tps.toFixed(0)} inserts/s`);
  return tps;
}

const token = 'calsync-bench-throughput';
const configFile = join(scratch, 'calsync.json');
writeFileSync(
  configFile,
  JSON.stringify({
    companies: [{ id: 'bench', apiTokenSha256: [sha256Hex(token)] }],
    // Limits high enough that the benchmark measures the server, not its request budgets.
    http: { rateLimit: { perIpPerMinute: 10_000_000, perTokenPerMinute: 10_000_000 } },
    sync: { rateLimitPerMinute: 10_000_000 },
    reconciliation: { intervalMinutes: 0 },
  }),
);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const profileDir = env.BENCH_TPUT_CPU_PROF === undefined ? undefined : resolve(env.BENCH_TPUT_CPU_PROF);
if (profileDir) mkdirSync(profileDir, { recursive: true });
const logDir = env.BENCH_TPUT_LOG_DIR === undefined ? scratch : resolve(env.BENCH_TPUT_LOG_DIR);
mkdirSync(logDir, { recursive: true });

/** Registers the services through the first instance; every instance then knows all of them. */
async function registerServices(clients: InstanceClients): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < env.BENCH_TPUT_SERVICES; i++) {
    const answer = await clients.request(0, 'POST', '/v1/services', {
      name: `Service ${i}`,
      slug: `service-${i}`,
      durationMinutes: 30,
      price: { amount: 3500, currency: 'EUR' },
    });
    if (answer.status !== 201) throw new Error(`registration answered ${answer.status}: ${answer.text}`);
    ids.push((JSON.parse(answer.text) as { serviceId: string }).serviceId);
  }
  // Registered in order and projected in order: an instance that knows the last knows them all.
  const last = ids.at(-1) ?? '';
  const deadline = Date.now() + CAUGHT_UP_WITHIN_MS;
  for (let instance = 1; instance < clients.urls.length; instance++) {
    while ((await clients.request(instance, 'GET', `/v1/services/${last}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`instance ${instance} did not catch up in time`);
      await sleep(50);
    }
  }
  return ids;
}

/** One round: `instances` server processes on one fresh schema, the load spread across them. */
async function editRound(instances: number): Promise<LoadResult> {
  const servers: BenchServerProcess[] = [];
  let clients: InstanceClients | undefined;
  try {
    const urls: string[] = [];
    for (let i = 0; i < instances; i++) {
      const started = await BenchServerProcess.start(
        {
          DATABASE_URL: databaseUrl,
          DATABASE_SCHEMA: `calsync_i${instances}`,
          CALSYNC_CONFIG: configFile,
          CALSYNC_INSTANCE_ID: `bench-${instances}-${i}`,
        },
        join(logDir, `server-${instances}-${i}.log`),
        profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      );
      servers.push(started.server);
      urls.push(started.url);
    }
    clients = new InstanceClients(urls, env.BENCH_TPUT_CLIENTS, headers);
    const serviceIds = await registerServices(clients);
    await editLoad(clients, env.BENCH_TPUT_CLIENTS, serviceIds, WARM_UP_SECONDS);
    const result = await editLoad(clients, env.BENCH_TPUT_CLIENTS, serviceIds, env.BENCH_TPUT_SECONDS);
    console.info(
      `${instances} instance(s): ${result.edits} edits in ${result.seconds.toFixed(1)} s (${(result.edits / result.seconds).toFixed(0)}/s; per instance ${result.perInstance.join(', ')}), failed ${result.failures}`,
    );
    if (result.failures > 0)
      throw new Error(
        `${result.failures} edits were not answered 200 (first: ${result.firstFailure}): the run does not count`,
      );
    return result;
  } finally {
    clients?.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

try {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query('CREATE TABLE bench_insert (id bigserial PRIMARY KEY, data jsonb NOT NULL)');
  await setup.end();

  const pgbench = [await pgbenchTps()];
  const rounds: { instances: number; result: LoadResult; baseline: number }[] = [];
  for (const instances of env.BENCH_TPUT_INSTANCES) {
    const result = await editRound(instances);
    pgbench.push(await pgbenchTps());
    const baseline = ((pgbench.at(-2) ?? 0) + (pgbench.at(-1) ?? 0)) / 2;
    rounds.push({ instances, result, baseline });
  }

  const rows = rounds.map(({ instances, result, baseline }) => {
    const perSecond = result.edits / result.seconds;
    const share = perSecond / baseline;
    return `| ${instances} | ${count(Math.round(baseline))} inserts/s | ${count(Math.round(perSecond))}/s (${count(result.edits)}) | ${(share * 100).toFixed(1)} % | ≥ ${GOAL_SHARE * 100} %: ${share >= GOAL_SHARE ? 'met' : '**missed**'} |`;
  });
  const body = `### Edits per second ÷ pgbench (${env.BENCH_LABEL})

Run on ${machine()}. \`pnpm bench:throughput\` (bench/throughput/run.ts): calsync server
processes (\`apps/server/src/main.ts\`, the PostgreSQL engine, default log level, a database of
the benchmark's own; with several, all on one schema, each on its own port) answering
\`PATCH /v1/services/:id\` over keep-alive HTTP from ${env.BENCH_TPUT_CLIENTS} concurrent connections
for ${env.BENCH_TPUT_SECONDS} s (after ${WARM_UP_SECONDS} s of warm-up), requests spread round-robin over the
instances, each connection editing its own ${count(Math.ceil(env.BENCH_TPUT_SERVICES / env.BENCH_TPUT_CLIENTS))} services (no conflicts), every edit
acknowledged only once it is durable. The baseline is pgbench's single-row insert of a small
JSON document at the same concurrency on the same server, run before, between and after the
rounds (pgbench runs: ${pgbench.map((tps) => count(Math.round(tps))).join(', ')} inserts/s); each round is divided by
the mean of the two runs around it, so both see the same disk and the same load.

| instances | pgbench (mean around the round) | calsync edits (total) | edits ÷ pgbench | goal |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
  console.info(body);
  console.info(`wrote ${writeReadmeBlock(`throughput-bench:${env.BENCH_LABEL}`, body, THROUGHPUT_HEADING)}`);
} finally {
  await database.drop();
  rmSync(scratch, { recursive: true, force: true });
}
