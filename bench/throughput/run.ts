/**
 * Command throughput against PostgreSQL's durable-write limit: edits per second over HTTP on one
 * calsync process, divided by pgbench's single-row-insert rate at the same concurrency on the same
 * server, both measured in this run (pgbench before and after the edits; their mean is the
 * baseline). Usage (from the repo root):
 *   npx -y pnpm@10 bench:throughput
 * Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (the server to create a database of its own on;
 * default postgres://root@127.0.0.1:5432/test), BENCH_TPUT_CLIENTS (concurrent connections,
 * default 10), BENCH_TPUT_SECONDS (length of each measurement, default 10), BENCH_TPUT_SERVICES
 * (services edited round-robin, default 200), BENCH_LABEL (names the README block).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { RunningServer } from '@calsync/server';
import pg from 'pg';
import { z } from 'zod';
import { createBenchDatabase } from '../server/bench-database.js';
import { startBenchHttpServer } from '../server/bench-server.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';

const run = promisify(execFile);

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_TPUT_CLIENTS: z.coerce.number().int().min(1).max(200).default(10),
    BENCH_TPUT_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
    BENCH_TPUT_SERVICES: z.coerce.number().int().min(1).max(100_000).default(200),
    BENCH_LABEL: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default('current'),
  })
  .parse(process.env);

const THROUGHPUT_HEADING = '## Command throughput against the durable-write limit';
/** The goal: calsync's edits reach at least this share of what the same PostgreSQL commits. */
const GOAL_SHARE = 0.25;

const serverUrl = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const database = await createBenchDatabase(serverUrl, 'calsync_bench_tput');
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
  return Number(match[1]);
}

const token = 'calsync-bench-throughput';

let running: RunningServer | undefined;
try {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query('CREATE TABLE bench_insert (id bigserial PRIMARY KEY, data jsonb NOT NULL)');
  await setup.end();

  const tpsBefore = await pgbenchTps();
  console.info(`pgbench before: ${tpsBefore.toFixed(0)} tps`);

  running = await startBenchHttpServer([{ id: 'bench', token }], { DATABASE_URL: databaseUrl });
  const url = running.url;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const serviceIds: string[] = [];
  for (let i = 0; i < env.BENCH_TPUT_SERVICES; i++) {
    const response = await fetch(`${url}/v1/services`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: `Service ${i}`,
        slug: `service-${i}`,
        durationMinutes: 30,
        price: { amount: 3500, currency: 'EUR' },
      }),
    });
    if (response.status !== 201)
      throw new Error(`registration answered ${response.status}: ${await response.text()}`);
    serviceIds.push(((await response.json()) as { serviceId: string }).serviceId);
  }

  // Each client edits its own services, so no two edits race for one stream (no conflict retries).
  const deadline = performance.now() + env.BENCH_TPUT_SECONDS * 1000;
  let edits = 0;
  let failures = 0;
  let firstFailure = '';
  const started = performance.now();
  await Promise.all(
    Array.from({ length: env.BENCH_TPUT_CLIENTS }, async (_, client) => {
      const own = serviceIds.filter((_, index) => index % env.BENCH_TPUT_CLIENTS === client);
      for (let n = 0; performance.now() < deadline; n++) {
        const id = own[n % own.length] ?? serviceIds[0];
        const response = await fetch(`${url}/v1/services/${id}`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({ description: `edit ${client}-${n}` }),
        });
        const text = await response.text();
        if (response.status === 200) edits++;
        else {
          failures++;
          firstFailure ||= `${response.status} ${text.slice(0, 300)}`;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const editsPerSecond = edits / seconds;
  console.info(
    `edits: ${edits} in ${seconds.toFixed(1)} s (${editsPerSecond.toFixed(0)}/s), failed ${failures}`,
  );
  await running.close();
  running = undefined;

  const tpsAfter = await pgbenchTps();
  console.info(`pgbench after: ${tpsAfter.toFixed(0)} tps`);
  if (failures > 0)
    throw new Error(
      `${failures} edits were not answered 200 (first: ${firstFailure}): the run does not count`,
    );

  const baseline = (tpsBefore + tpsAfter) / 2;
  const share = editsPerSecond / baseline;
  const body = `### Edits per second ÷ pgbench (${env.BENCH_LABEL})

Run on ${machine()}. \`pnpm bench:throughput\` (bench/throughput/run.ts): one calsync process
(\`startServer\`, the PostgreSQL engine, a database of the benchmark's own) answering
\`PATCH /v1/services/:id\` over HTTP from ${env.BENCH_TPUT_CLIENTS} concurrent connections for
${env.BENCH_TPUT_SECONDS} s, each connection editing its own ${count(Math.ceil(env.BENCH_TPUT_SERVICES / env.BENCH_TPUT_CLIENTS))} services (no
conflicts), every edit acknowledged only once it is durable. The baseline is pgbench's
single-row insert of a small JSON document at the same concurrency on the same server, run
just before and just after (their mean), so both see the same disk and the same load.

| measure | value |
| --- | --- |
| pgbench before | ${count(Math.round(tpsBefore))} inserts/s |
| pgbench after | ${count(Math.round(tpsAfter))} inserts/s |
| calsync edits | ${count(Math.round(editsPerSecond))}/s (${count(edits)} edits) |
| edits ÷ pgbench | ${(share * 100).toFixed(1)} % |
| goal | ≥ ${GOAL_SHARE * 100} %: ${share >= GOAL_SHARE ? 'met' : '**missed**'} |
`;
  console.info(body);
  console.info(`wrote ${writeReadmeBlock(`throughput-bench:${env.BENCH_LABEL}`, body, THROUGHPUT_HEADING)}`);
} finally {
  await running?.close();
  await database.drop();
  rmSync(scratch, { recursive: true, force: true });
}
