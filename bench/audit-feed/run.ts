/**
 * The company audit feed (GET /v1/audit, docs/http-contract.md) on PostgreSQL: pages of 50 at
 * 10,000 services × 20 events, against a baseline in the same run. Usage (from the repo root):
 *   npx -y pnpm@10 bench:audit-feed
 * Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (the server to create a database of its own on;
 * default postgres://root@127.0.0.1:5432/test), BENCH_FEED_SERVICES (default 10000),
 * BENCH_FEED_COMPANIES (default 10), BENCH_FEED_EVENTS (per service, default 20), BENCH_FEED_RUNS
 * (timed requests per case, default 15; a case stops earlier, after at least 3, once its requests
 * took BENCH_FEED_BUDGET_MS in all, default 30000), BENCH_FEED_KEEP=1 (keep the seeded database and reuse
 * it next time, instead of dropping it), BENCH_LABEL (names the README block, default "current").
 */
import { performance } from 'node:perf_hooks';
import { openEventStore } from '@calsync/eventstore';
import pg from 'pg';
import { z } from 'zod';
import { benchLabelSchema, benchServerUrl } from '../server/bench-env.js';
import { startBenchHttpServer } from '../server/bench-server.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';
import { type SeedPlan, seed, seedOrder } from './seed.js';

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_FEED_SERVICES: z.coerce.number().int().positive().default(10_000),
    BENCH_FEED_COMPANIES: z.coerce.number().int().positive().default(10),
    BENCH_FEED_EVENTS: z.coerce.number().int().min(2).default(20),
    BENCH_FEED_RUNS: z.coerce.number().int().positive().default(15),
    BENCH_FEED_BUDGET_MS: z.coerce.number().int().positive().default(30_000),
    BENCH_FEED_KEEP: z.enum(['0', '1']).default('0'),
    BENCH_LABEL: benchLabelSchema,
  })
  .parse(process.env);

const serverUrl = benchServerUrl(env);
const keep = env.BENCH_FEED_KEEP === '1';
const PAGE = 50;

const perCompany = Math.floor(env.BENCH_FEED_SERVICES / env.BENCH_FEED_COMPANIES);
const plan: SeedPlan = {
  interleaved: Array.from({ length: env.BENCH_FEED_COMPANIES }, (_, i) => ({
    id: `company-${i}`,
    services: perCompany,
  })),
  sparse: { id: 'small', services: 10 },
  eventsPerService: env.BENCH_FEED_EVENTS,
};
const totalServices = perCompany * env.BENCH_FEED_COMPANIES + plan.sparse.services;
const totalEvents = totalServices * env.BENCH_FEED_EVENTS;
const companyIds = [...plan.interleaved.map((company) => company.id), plan.sparse.id];
const tokenOf = (companyId: string) => `calsync-bench-${companyId}`;

// A database of its own; a kept one is named by its shape, so a reuse holds the same feed.
const databaseName = keep
  ? `calsync_bench_feed_${totalServices}_${env.BENCH_FEED_EVENTS}_${env.BENCH_FEED_COMPANIES}`
  : `calsync_bench_feed_${process.pid}`;
const databaseUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
  ?.server_version;

/** Whether a kept database already holds the whole feed (a seed that was cut short does not count). */
async function keptFeedIsComplete(): Promise<boolean> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
  if (exists.rowCount === 0) return false;
  const store = await openEventStore({ databaseUrl, dataDir: '/nonexistent' });
  try {
    const order = seedOrder(plan);
    const last = order[order.length - 1];
    if (!last) return false;
    const events = await store.readStream(`service-${last.serviceId}`);
    return events.isOk() && events.value.length === env.BENCH_FEED_EVENTS;
  } finally {
    await store.close();
  }
}

let seedMs: number | null = null;
if (!(keep && (await keptFeedIsComplete()))) {
  await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${databaseName}`);
  const store = await openEventStore({ databaseUrl, dataDir: '/nonexistent' });
  const started = performance.now();
  try {
    await seed(store, plan);
  } finally {
    await store.close();
  }
  seedMs = performance.now() - started;
  console.info(`seeded ${count(totalEvents)} events in ${Math.round(seedMs)} ms`);
}

// Table statistics, as autovacuum keeps them on a server that has run for a while: without them
// the planner takes the bulk-loaded table for nearly empty and scans all of it for every page.
const analyzer = new pg.Client({ connectionString: databaseUrl });
await analyzer.connect();
await analyzer.query('ANALYZE');
await analyzer.end();

const startedAt = performance.now();
const running = await startBenchHttpServer(
  companyIds.map((id) => ({ id, token: tokenOf(id) })),
  { DATABASE_URL: databaseUrl },
);
const startMs = performance.now() - startedAt;
console.info(`server caught up and listening in ${Math.round(startMs)} ms`);

interface AuditPage {
  items: unknown[];
  next: string | null;
}

async function get(path: string, companyId: string): Promise<unknown> {
  const response = await fetch(`${running.url}${path}`, {
    headers: { authorization: `Bearer ${tokenOf(companyId)}` },
  });
  if (response.status !== 200) {
    throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

const feed = (companyId: string, limit: number, after?: string) =>
  get(
    `/v1/audit?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
    companyId,
  ) as Promise<AuditPage>;

/** The cursor after the first `entries` entries of the company's feed, found by paging through it. */
async function cursorAfter(companyId: string, entries: number): Promise<string> {
  let cursor: string | undefined;
  let passed = 0;
  while (passed < entries) {
    const page = await feed(companyId, Math.min(500, entries - passed), cursor);
    if (page.next === null) throw new Error(`the feed of ${companyId} has fewer than ${entries} entries`);
    passed += page.items.length;
    cursor = page.next;
  }
  if (!cursor) throw new Error('no cursor');
  return cursor;
}

interface Case {
  name: string;
  /** One timed request; checks what it got, so a broken answer fails instead of timing fast. */
  run(): Promise<void>;
  samples: number[];
}

const big = plan.interleaved[0]!;
const bigEntries = big.services * env.BENCH_FEED_EVENTS;
const smallEntries = plan.sparse.services * env.BENCH_FEED_EVENTS;
const sampleService = seedOrder(plan).find((service) => service.companyId === big.id)!;

try {
  // The server read every seeded event at start; a service's view proves they were understood.
  const view = (await get(`/v1/services/${sampleService.serviceId}`, big.id)) as { revision: number };
  if (view.revision !== env.BENCH_FEED_EVENTS) {
    throw new Error(
      `${sampleService.serviceId} is at revision ${view.revision}, not ${env.BENCH_FEED_EVENTS}`,
    );
  }
  const deepBig = await cursorAfter(big.id, Math.floor(bigEntries * 0.9));
  const lastSmall = await cursorAfter(plan.sparse.id, smallEntries - PAGE);

  const page = (companyId: string, after: string | undefined, want: number) => async () => {
    const answer = await feed(companyId, PAGE, after);
    if (answer.items.length !== want) throw new Error(`a page of ${answer.items.length}, not ${want}`);
  };
  const cases: Case[] = [
    {
      name: `baseline: GET /v1/services/:id/audit (one stream, ${env.BENCH_FEED_EVENTS} entries)`,
      run: async () => {
        const trail = (await get(`/v1/services/${sampleService.serviceId}/audit`, big.id)) as AuditPage;
        if (trail.items.length !== env.BENCH_FEED_EVENTS) throw new Error('a short trail');
      },
      samples: [],
    },
    { name: `${big.id}: first page`, run: page(big.id, undefined, PAGE), samples: [] },
    {
      name: `${big.id}: page after ${count(Math.floor(bigEntries * 0.9))} entries`,
      run: page(big.id, deepBig, PAGE),
      samples: [],
    },
    { name: `${plan.sparse.id}: first page`, run: page(plan.sparse.id, undefined, PAGE), samples: [] },
    {
      name: `${plan.sparse.id}: last page (after ${count(smallEntries - PAGE)} entries)`,
      run: page(plan.sparse.id, lastSmall, PAGE),
      samples: [],
    },
  ];
  // Warm-up (JIT, plan caches, pool), then the cases in turn, so that noise spreads over all.
  for (const item of cases) {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await item.run();
      // One warm-up request is enough for a row that takes seconds.
      if (performance.now() - started > 1_000) break;
    }
  }
  for (let round = 0; round < env.BENCH_FEED_RUNS; round++) {
    for (const item of cases) {
      // A slow row stops after its time budget (at least 3 runs), so the run stays short.
      const spent = item.samples.reduce((sum, sample) => sum + sample, 0);
      if (item.samples.length >= 3 && spent > env.BENCH_FEED_BUDGET_MS) continue;
      const started = performance.now();
      await item.run();
      item.samples.push(performance.now() - started);
    }
  }

  const median = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const baseline = median(cases[0]!.samples);
  const ms = (value: number) =>
    `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
  const GOAL = 3;
  const rows = cases.map((item, index) => {
    const m = median(item.samples);
    const ratio = m / baseline;
    const goal = index === 0 ? '—' : `≤ ${GOAL}×: ${ratio <= GOAL ? 'met' : '**missed**'}`;
    return `| ${item.name} | ${item.samples.length} | ${ms(m)} | ${ms(Math.min(...item.samples))} – ${ms(Math.max(...item.samples))} | ${index === 0 ? '1×' : `${ratio.toFixed(1)}×`} | ${goal} |`;
  });
  const share = (entries: number) =>
    ((entries / totalEvents) * 100).toFixed(entries / totalEvents < 0.01 ? 2 : 0);
  const body = `### The company audit feed, pages of ${PAGE} (${env.BENCH_LABEL})

Run on ${machine()}, PostgreSQL ${serverVersion ?? 'unknown'} (local server, a database of the
benchmark's own${keep ? `, kept between runs (BENCH_FEED_KEEP=1)${seedMs === null ? ' and reused: not seeded this run' : ''}` : ', dropped afterwards'}). \`pnpm bench:audit-feed\` (bench/audit-feed/run.ts).

The feed: ${count(totalServices)} services × ${env.BENCH_FEED_EVENTS} events = ${count(totalEvents)} service events, appended
straight through the store${seedMs === null ? '' : ` in ${count(Math.round(seedMs / 1000))} s`} and \`ANALYZE\`d: ${plan.interleaved.length} companies of ${count(perCompany)} services
each, interleaved service by service in commit order (each holds ${share(bigEntries)}% of the feed), and
one small company of ${plan.sparse.services} services spread evenly through it (${share(smallEntries)}% of the feed). Then
\`startServer\` on that database (caught up in ${count(Math.round(startMs / 1000))} s) and GET over a real socket, the
median of up to ${env.BENCH_FEED_RUNS} runs per row (fewer once a row's runs took ${count(env.BENCH_FEED_BUDGET_MS / 1000)} s in all) after
warm-up requests (3, or 1 for a row that takes over a second), rows taken in turn. Cursors deep in a
feed are found by paging through it first. The baseline reads one service's trail (one stream
from the store, through the same HTTP shell); the goal is that a page of the feed costs about
as much, wherever it starts and however small the company's share of the feed.

| request | runs | median | min – max | ÷ baseline | goal |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`;
  console.info(body);
  console.info(`wrote ${writeReadmeBlock(`audit-feed-bench:${env.BENCH_LABEL}`, body)}`);
} finally {
  await running.close();
  if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  await admin.end();
}
