/**
 * Event store benchmark: our engines against Emmett's PostgreSQL event store on the same
 * server, in the same run. Usage (from the repo root):
 *   npx -y pnpm@10 --filter @calsync/bench run bench:eventstore
 * Env: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/test), BENCH_EVENTSTORE_URL
 * (optional esdb:// URL), BENCH_ROUNDS (default 2). Writes its section of bench/README.md.
 */
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createEsdbEventStore,
  createInMemoryEventStore,
  createPgliteEventStore,
  createPostgresEventStore,
} from '@calsync/eventstore';
import { z } from 'zod';
import { createBenchDatabase } from '../server/bench-database.js';
import type { BenchTarget } from './bench-target.js';
import { designNotes } from './design-notes.js';
import { emmettTarget } from './emmett-target.js';
import { ourTarget } from './our-target.js';
import { type BenchResults, renderTables, writeReadmeSection } from './report.js';
import { appendScenarios, type Measurement, readScenarios, type Scenario } from './scenarios.js';

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().default('postgres://root@127.0.0.1:5432/test'),
    BENCH_EVENTSTORE_URL: z.string().optional(),
    BENCH_ROUNDS: z.coerce.number().int().positive().default(2),
  })
  .parse(process.env);

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));

/** Warms JIT, plan caches and connection pools, so round one is not measured cold. */
const warmUp = async (target: BenchTarget): Promise<void> => {
  for (let append = 0; append < 100; append += 1)
    await target.append(`warm-up-${append % 5}`, 1 + (append % 10));
  await target.readAll();
};

const main = async (): Promise<void> => {
  const database = await createBenchDatabase(env.BENCH_DATABASE_URL);
  const targets: BenchTarget[] = [];
  const skipped: Record<string, string> = {};
  try {
    targets.push(ourTarget('memory', createInMemoryEventStore()));
    targets.push(ourTarget('pglite', await createPgliteEventStore({})));
    targets.push(ourTarget('postgres', await createPostgresEventStore({ connectionString: database.url })));
    if (env.BENCH_EVENTSTORE_URL) {
      targets.push(
        ourTarget('esdb', await createEsdbEventStore({ connectionString: env.BENCH_EVENTSTORE_URL })),
      );
    } else {
      skipped.esdb = 'BENCH_EVENTSTORE_URL is not set';
    }
    targets.push(emmettTarget(database.url));
    for (const target of targets) await warmUp(target);

    const rows: BenchResults['rows'] = [];
    for (const scenario of [...appendScenarios, ...readScenarios]) {
      rows.push({
        scenario: scenario.name,
        results: await measureInTurns(scenario, targets, env.BENCH_ROUNDS),
      });
      console.error(`measured: ${scenario.name}`);
    }
    const results: BenchResults = {
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        postgres: database.serverVersion,
        date: new Date().toISOString().slice(0, 10),
      },
      rounds: env.BENCH_ROUNDS,
      engines: targets.map((target) => target.name),
      baseline: 'emmett',
      skipped,
      rows,
    };
    console.log(renderTables(results));
    await writeReadmeSection(readmePath, results, designNotes);
    console.error(`wrote ${readmePath}`);
  } finally {
    for (const target of targets) await target.close();
    await database.drop();
  }
};

/** Rounds take turns across engines, so a burst of load elsewhere hits them all alike. */
const measureInTurns = async (
  scenario: Scenario,
  targets: BenchTarget[],
  rounds: number,
): Promise<Record<string, Measurement>> => {
  const best: Record<string, Measurement> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const target of targets) {
      const started = performance.now();
      const events = await scenario.run(target, round);
      const eventsPerSecond = events / ((performance.now() - started) / 1000);
      if (eventsPerSecond > (best[target.name]?.eventsPerSecond ?? 0)) {
        best[target.name] = { events, eventsPerSecond };
      }
    }
  }
  return best;
};

await main();
