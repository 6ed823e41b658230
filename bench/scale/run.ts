/**
 * One instance at scale (issue 12, "Scale on one instance"), PostgreSQL engine: for each size,
 * services × events seeded straight into a database of its own, then the real server as a child
 * process: first start (no snapshot, no checkpoint) and restart (from the projection's snapshot)
 * to ready, RSS, p99 of a page of the services listing, of the company audit feed and of the
 * readiness probe, against `GET /health/live` and a start on an empty store in the same run; then
 * the snapshot stream's size, and what one more snapshot costs after edits to a few services.
 * Usage (from the repo root):
 *   npx -y pnpm@10 bench:scale
 * Env: BENCH_DATABASE_URL or TEST_DATABASE_URL (server to create databases on; default
 * postgres://root@127.0.0.1:5432/test), BENCH_SCALE_SIZES (services, comma-separated; default
 * 10000,100000), BENCH_SCALE_EVENTS (per service, default 20), BENCH_SCALE_COMPANIES (default 10),
 * BENCH_SCALE_RUNS (timed requests per case, default 300), BENCH_SCALE_EDITS (services edited
 * once more before the last snapshot, default 1000), BENCH_SCALE_KEEP=1 (keep the databases),
 * BENCH_LABEL (names the README block, default "current").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sha256Hex } from '@calsync/server';
import pg from 'pg';
import { z } from 'zod';
import { benchLabelSchema, benchServerUrl } from '../server/bench-env.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';
import { companyOf, createTables, seedServices, serviceIdOf } from './seed-sql.js';
import { ServerChild, type Started } from './server-child.js';

const env = z
  .object({
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_SCALE_SIZES: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .default('10000,100000'),
    BENCH_SCALE_EVENTS: z.coerce.number().int().min(2).default(20),
    BENCH_SCALE_COMPANIES: z.coerce.number().int().positive().default(10),
    BENCH_SCALE_RUNS: z.coerce.number().int().min(10).default(300),
    BENCH_SCALE_EDITS: z.coerce.number().int().min(0).default(1000),
    BENCH_SCALE_KEEP: z.enum(['0', '1']).default('0'),
    BENCH_LABEL: benchLabelSchema,
  })
  .parse(process.env);

const serverUrl = benchServerUrl(env);
const sizes = env.BENCH_SCALE_SIZES.split(',').map(Number);
const SCHEMA = 'sc_scale';
const LIST_PAGE = 100;
const FEED_PAGE = 50;
const tokenOf = (companyId: string) => `calsync-bench-${companyId}`;
const companyIds = Array.from({ length: env.BENCH_SCALE_COMPANIES }, (_, i) => `company-${i}`);

// The configuration file: the companies (no Cal.com team: nothing to push), no rate limits, no periodic run.
const configDir = mkdtempSync(join(tmpdir(), 'sc-scale-'));
const configPath = join(configDir, 'calsync.json');
writeFileSync(
  configPath,
  JSON.stringify({
    companies: companyIds.map((id) => ({ id, apiTokenSha256: [sha256Hex(tokenOf(id))] })),
    http: { rateLimit: { perIpPerMinute: 10_000_000, perTokenPerMinute: 10_000_000 } },
    sync: { rateLimitPerMinute: 10_000_000 },
    reconciliation: { intervalMinutes: 0 },
  }),
);

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
  ?.server_version;

async function freshDatabase(name: string): Promise<string> {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const quantile = (samples: readonly number[], q: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
};

interface Timed {
  p50: number;
  p99: number;
  /** Transactions the database committed per request (each statement outside a transaction is one). */
  queries: number;
}

/** Transactions committed in the database so far (PostgreSQL's statistics, flushed within about a second). */
async function committed(database: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const row = await admin.query<{ commits: string }>(
    'SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(row.rows[0]?.commits ?? Number.NaN);
}

/** `runs` sequential requests (after 20 untimed ones), each checking what it got. */
async function timed(database: string, runs: number, request: () => Promise<void>): Promise<Timed> {
  for (let i = 0; i < 20; i++) await request();
  const before = await committed(database);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    await request();
    samples.push(performance.now() - began);
  }
  const queries = ((await committed(database)) - before) / runs;
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), queries };
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const body = await response.text();
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body);
}

interface Page {
  items: unknown[];
  next: string | null;
}

async function cursorAfter(base: string, path: string, token: string, entries: number, page: number) {
  let cursor: string | undefined;
  let passed = 0;
  while (passed < entries) {
    const limit = Math.min(page, entries - passed);
    const answer = (await getJson(
      `${base}${path}?limit=${limit}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`,
      token,
    )) as Page;
    if (answer.next === null) throw new Error(`${path} has fewer than ${entries} entries`);
    passed += answer.items.length;
    cursor = answer.next;
  }
  if (!cursor) throw new Error('no cursor');
  return cursor;
}

interface Latencies {
  live: Timed;
  ready: Timed;
  listFirst: Timed;
  listDeep: Timed;
  feedFirst: Timed;
  feedDeep: Timed;
}

async function latencies(url: string, services: number, database: string): Promise<Latencies> {
  const company = companyIds[0]!;
  const token = tokenOf(company);
  const perCompany = Math.ceil(services / companyIds.length);
  const expectPage = (want: number) => (answer: unknown) => {
    const length = (answer as Page).items.length;
    if (length !== want) throw new Error(`a page of ${length}, not ${want}`);
  };
  const deepList = await cursorAfter(url, '/v1/services', token, Math.floor(perCompany * 0.9), 500);
  const deepFeed = await cursorAfter(
    url,
    '/v1/audit',
    token,
    Math.floor(perCompany * env.BENCH_SCALE_EVENTS * 0.9),
    500,
  );
  const page = (path: string, limit: number, after?: string) => async () =>
    expectPage(limit)(
      await getJson(
        `${url}${path}?limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        token,
      ),
    );
  return {
    live: await timed(database, env.BENCH_SCALE_RUNS, async () => void (await getJson(`${url}/health/live`))),
    ready: await timed(database, env.BENCH_SCALE_RUNS, async () => {
      const answer = (await getJson(`${url}/health/ready`)) as { ready: boolean };
      if (!answer.ready) throw new Error('not ready');
    }),
    listFirst: await timed(database, env.BENCH_SCALE_RUNS, page('/v1/services', LIST_PAGE)),
    listDeep: await timed(database, env.BENCH_SCALE_RUNS, page('/v1/services', LIST_PAGE, deepList)),
    feedFirst: await timed(database, env.BENCH_SCALE_RUNS, page('/v1/audit', FEED_PAGE)),
    feedDeep: await timed(database, env.BENCH_SCALE_RUNS, page('/v1/audit', FEED_PAGE, deepFeed)),
  };
}

interface SnapshotStream {
  events: number;
  mib: number;
}

async function snapshotStream(databaseUrl: string): Promise<SnapshotStream> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const row = (
      await client.query<{ events: string; bytes: string | null }>(
        `SELECT count(*)::text AS events, sum(octet_length(data::text))::text AS bytes
         FROM ${SCHEMA}.events WHERE stream_name = 'projection-status-snapshots'`,
      )
    ).rows[0];
    return { events: Number(row?.events ?? 0), mib: Number(row?.bytes ?? 0) / 1024 / 1024 };
  } finally {
    await client.end();
  }
}

/** One more `ServiceEdited` on each of the first `services` services, as one append would store them. */
async function editServices(databaseUrl: string, services: number, revision: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO ${SCHEMA}.events (sequence, stream_name, revision, event_id, event_type, data, metadata)
       SELECT (SELECT coalesce(max(sequence), 0) FROM ${SCHEMA}.events) + s + 1,
              'service-scale-service-' || s, $2::bigint, gen_random_uuid(), 'ServiceEdited',
              jsonb_build_object('schemaVersion', 1, 'serviceId', 'scale-service-' || s,
                'companyId', 'company-' || (s % $3), 'actor', 'admin:bench', 'at', '2026-12-01T10:00:00.000Z',
                'reason', 'edit', 'changes', jsonb_build_array(jsonb_build_object(
                  'field', 'durationMinutes', 'from', 29 + $2::int, 'to', 30 + $2::int))),
              '{}'::jsonb
       FROM generate_series(0, $1::int - 1) AS s`,
      [services, revision, companyIds.length],
    );
    const head = await client.query<{ head: string }>(
      `SELECT max(sequence)::text AS head FROM ${SCHEMA}.events`,
    );
    await client.query('SELECT pg_notify($1, $2)', [`calsync_events_${SCHEMA}`, head.rows[0]?.head ?? '0']);
  } finally {
    await client.end();
  }
}

interface SizeResult {
  services: number;
  events: number;
  seedMs: number;
  first: Started;
  firstMemory: { rssMiB: number; peakMiB: number };
  afterRequests: { rssMiB: number; peakMiB: number };
  latencies: Latencies;
  stopMs: number;
  snapshotAfterFirst: SnapshotStream;
  restart: Started;
  restartMemory: { rssMiB: number; peakMiB: number };
  edits: number;
  editsCaughtUpMs: number;
  snapshotAfterEdits: SnapshotStream;
  secondRestart: Started;
}

async function measureEmptyStart(): Promise<Started> {
  const databaseUrl = await freshDatabase(`sc_scale_empty_${process.pid}`);
  await createTables(databaseUrl, SCHEMA);
  const child = new ServerChild({
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: SCHEMA,
    CALSYNC_CONFIG: configPath,
  });
  try {
    return await child.start();
  } finally {
    await child.stop();
    if (env.BENCH_SCALE_KEEP !== '1')
      await admin.query(`DROP DATABASE IF EXISTS sc_scale_empty_${process.pid} WITH (FORCE)`);
  }
}

async function measureSize(services: number): Promise<SizeResult> {
  const name = `sc_scale_${services}_${process.pid}`;
  const databaseUrl = await freshDatabase(name);
  await createTables(databaseUrl, SCHEMA);
  const seedStarted = performance.now();
  const events = await seedServices(databaseUrl, SCHEMA, {
    services,
    eventsPerService: env.BENCH_SCALE_EVENTS,
    companies: companyIds.length,
  });
  const seedMs = performance.now() - seedStarted;
  console.info(`${count(services)} services: seeded ${count(events)} events in ${Math.round(seedMs)} ms`);
  const serverEnv = { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: SCHEMA, CALSYNC_CONFIG: configPath };
  const child = new ServerChild(serverEnv);
  try {
    const first = await child.start();
    const firstMemory = child.memory();
    console.info(
      `  first start: listening ${Math.round(first.listeningMs)} ms, ready ${Math.round(first.readyMs)} ms`,
      first.caughtUp,
    );
    const probe = serviceIdOf(services - 1);
    const view = (await getJson(
      `${first.url}/v1/services/${probe}`,
      tokenOf(companyOf(services - 1, companyIds.length)),
    )) as {
      revision: number;
    };
    if (view.revision !== env.BENCH_SCALE_EVENTS) throw new Error(`${probe} is at revision ${view.revision}`);
    const measured = await latencies(first.url, services, name);
    const afterRequests = child.memory();
    console.info('  latencies', JSON.stringify(measured));
    const stopMs = await child.stop();
    const snapshotAfterFirst = await snapshotStream(databaseUrl);
    console.info(`  stopped in ${Math.round(stopMs)} ms; snapshot stream`, snapshotAfterFirst);

    const restart = await child.start();
    const restartMemory = child.memory();
    console.info(
      `  restart: listening ${Math.round(restart.listeningMs)} ms, ready ${Math.round(restart.readyMs)} ms`,
      restart.caughtUp,
    );
    const edits = Math.min(env.BENCH_SCALE_EDITS, services);
    const editStarted = performance.now();
    await editServices(databaseUrl, edits, env.BENCH_SCALE_EVENTS);
    const last = serviceIdOf(edits - 1);
    for (let attempt = 0; attempt < 5_000; attempt++) {
      const seen = (await getJson(
        `${restart.url}/v1/services/${last}`,
        tokenOf(companyOf(edits - 1, companyIds.length)),
      )) as {
        revision: number;
      };
      if (seen.revision === env.BENCH_SCALE_EVENTS + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const editsCaughtUpMs = performance.now() - editStarted;
    await child.stop();
    const snapshotAfterEdits = await snapshotStream(databaseUrl);
    console.info(`  after ${edits} edits: snapshot stream`, snapshotAfterEdits);
    const secondRestart = await child.start();
    console.info(`  second restart: ready ${Math.round(secondRestart.readyMs)} ms`, secondRestart.caughtUp);
    await child.stop();
    return {
      services,
      events,
      seedMs,
      first,
      firstMemory,
      afterRequests,
      latencies: measured,
      stopMs,
      snapshotAfterFirst,
      restart,
      restartMemory,
      edits,
      editsCaughtUpMs,
      snapshotAfterEdits,
      secondRestart,
    };
  } finally {
    await child.stop();
    if (env.BENCH_SCALE_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const ms = (value: number) =>
  value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
const small = (value: number) => `${value.toFixed(1)} ms`;
const ratio = (value: number, base: number) => `${(value / base).toFixed(1)}×`;
const mib = (value: number) => `${Math.round(value)} MiB`;
/** p50 / p99 (p99 against the baseline's), and the database transactions one request cost. */
const latency = (timed: Timed, base?: Timed) =>
  `${small(timed.p50)} / ${small(timed.p99)}${base ? ` (${ratio(timed.p99, base.p99)})` : ''}, ${timed.queries.toFixed(1)} q`;

try {
  const empty = await measureEmptyStart();
  console.info(`empty store: ready ${Math.round(empty.readyMs)} ms`);
  const results: SizeResult[] = [];
  for (const size of sizes) results.push(await measureSize(size));

  const header = `| | ${results.map((r) => `${count(r.services)} × ${env.BENCH_SCALE_EVENTS} (${count(r.events)} events)`).join(' | ')} |`;
  const rule = `|---|${results.map(() => '---:').join('|')}|`;
  const row = (label: string, cell: (r: SizeResult) => string) =>
    `| ${label} | ${results.map(cell).join(' | ')} |`;
  const lines = [
    `${machine()}, PostgreSQL ${serverVersion} on the same machine (shared with other work while it ran); one server process (\`apps/server/src/main.ts\`), ${companyIds.length} companies without a Cal.com team; ${env.BENCH_SCALE_RUNS} sequential requests per latency. Baselines of the same run: a start on an empty store (ready in ${ms(empty.readyMs)}: node, tsx and the server's own start-up), and \`GET /health/live\`.`,
    '',
    header,
    rule,
    row('seeding (SQL, not the server)', (r) => ms(r.seedMs)),
    row(
      'first start (no snapshot) to ready',
      (r) => `${ms(r.first.readyMs)} (${ratio(r.first.readyMs, empty.readyMs)} empty)`,
    ),
    row(
      'restart (from the snapshot) to ready',
      (r) => `${ms(r.restart.readyMs)} (${ratio(r.restart.readyMs, empty.readyMs)} empty)`,
    ),
    row('restart after edits (snapshot + catch-up) to ready', (r) => `${ms(r.secondRestart.readyMs)}`),
    row(
      'RSS after first start (peak)',
      (r) => `${mib(r.firstMemory.rssMiB)} (${mib(r.firstMemory.peakMiB)})`,
    ),
    row(
      'RSS after restart (peak)',
      (r) => `${mib(r.restartMemory.rssMiB)} (${mib(r.restartMemory.peakMiB)})`,
    ),
    row('`GET /health/live` p50 / p99 (baseline)', (r) => latency(r.latencies.live)),
    row('`GET /health/ready` p50 / p99', (r) => latency(r.latencies.ready, r.latencies.live)),
    row(`list page (\`/v1/services?limit=${LIST_PAGE}\`) p50 / p99`, (r) =>
      latency(r.latencies.listFirst, r.latencies.live),
    ),
    row('list page at 90 % of the company p50 / p99', (r) => latency(r.latencies.listDeep, r.latencies.live)),
    row(`feed page (\`/v1/audit?limit=${FEED_PAGE}\`) p50 / p99`, (r) =>
      latency(r.latencies.feedFirst, r.latencies.live),
    ),
    row('feed page at 90 % of the company p50 / p99', (r) => latency(r.latencies.feedDeep, r.latencies.live)),
    row(
      'snapshot stream after first start + stop',
      (r) => `${count(r.snapshotAfterFirst.events)} events, ${r.snapshotAfterFirst.mib.toFixed(1)} MiB`,
    ),
    row(
      'snapshot stream after edits to N services + stop',
      (r) =>
        `N = ${count(r.edits)}: +${count(r.snapshotAfterEdits.events - r.snapshotAfterFirst.events)} events, +${(r.snapshotAfterEdits.mib - r.snapshotAfterFirst.mib).toFixed(1)} MiB`,
    ),
  ];
  const body = lines.join('\n');
  console.info(body);
  const readme = writeReadmeBlock(`scale-bench:${env.BENCH_LABEL}`, body, '## One instance at scale');
  console.info(`written to ${readme}`);
} finally {
  rmSync(configDir, { recursive: true, force: true });
  await admin.end();
}
