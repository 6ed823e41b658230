/**
 * Store reads per appended service event (docs/architecture.md, the status projection): the
 * real server wiring on a store wrapped in a counting decorator, driven over HTTP. Usage (from
 * the repo root):
 *   npx -y pnpm@10 bench:reads
 * Env: BENCH_READS_SERVICES (default 100), BENCH_READS_EDITS (edits per service, default 4),
 * BENCH_DATABASE_URL or TEST_DATABASE_URL (adds PostgreSQL, in a schema of its own, dropped
 * afterwards), BENCH_LABEL (names the README block, default "current"; e.g. before, after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import { createInMemoryEventStore, type EventStore, openEventStore } from '@calsync/eventstore';
import pg from 'pg';
import { z } from 'zod';
import { benchLabelSchema } from '../server/bench-env.js';
import { type BenchCompany, type BenchServer, startBenchServer } from '../server/bench-server.js';
import { CountingStore, type ReaderTally, type Tally } from '../server/counting-store.js';
import { count, machine, writeReadmeBlock } from '../server/readme-section.js';

const env = z
  .object({
    BENCH_READS_SERVICES: z.coerce.number().int().positive().default(100),
    BENCH_READS_EDITS: z.coerce.number().int().min(0).default(4),
    BENCH_DATABASE_URL: z.string().optional(),
    TEST_DATABASE_URL: z.string().optional(),
    BENCH_LABEL: benchLabelSchema,
  })
  .parse(process.env);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const TEAM_ID = 42;
const company: BenchCompany = { id: 'bench', token: 'calsync-bench-token' };
const API_KEY = 'cal_bench_reads';
/** Longer than the sync's one-second coalescing of pushes to a service (docs/sync.md). */
const QUIET_MS = 2_000;
const SETTLE_TIMEOUT_MS = 180_000;

interface EngineUnderTest {
  name: string;
  open(): Promise<{ store: EventStore; dispose(): Promise<void> }>;
}

interface EngineResult {
  engine: string;
  startEmpty: Tally;
  steady: Tally;
  coldStart: Tally;
  cleanRestart: Tally;
  storedServiceEvents: number;
}

function diff(later: Tally, earlier: Tally): Tally {
  const before = new Map(earlier.readers.map((reader) => [`${reader.kind} ${reader.reader}`, reader]));
  return {
    appendedServiceEvents: later.appendedServiceEvents - earlier.appendedServiceEvents,
    appendedOtherEvents: later.appendedOtherEvents - earlier.appendedOtherEvents,
    readers: later.readers
      .map((reader) => {
        const old = before.get(`${reader.kind} ${reader.reader}`);
        return {
          ...reader,
          calls: reader.calls - (old?.calls ?? 0),
          serviceEvents: reader.serviceEvents - (old?.serviceEvents ?? 0),
          otherEvents: reader.otherEvents - (old?.otherEvents ?? 0),
        };
      })
      .filter((reader) => reader.serviceEvents > 0 || reader.otherEvents > 0),
  };
}

const nonZero = (tally: Tally): Tally => ({
  ...tally,
  readers: tally.readers.filter((reader) => reader.serviceEvents > 0 || reader.otherEvents > 0),
});

const serviceReads = (tally: Tally): number =>
  tally.readers.reduce((sum, reader) => sum + reader.serviceEvents, 0);

async function expectStatus(
  answer: Promise<{ status: number; json: () => unknown }>,
  status: number,
  what: string,
): Promise<void> {
  const response = await answer;
  if (response.status !== status) {
    throw new Error(`${what} answered ${response.status}, not ${status}: ${JSON.stringify(response.json())}`);
  }
}

/** Every service of the company: the listing's pages, `next` followed (docs/http-contract.md, "Pagination"). */
async function listServices(
  server: BenchServer,
): Promise<Array<{ serviceId: string; sync: { status: string } }>> {
  const items: Array<{ serviceId: string; sync: { status: string } }> = [];
  let after: string | null = null;
  do {
    const query: string = after === null ? '?limit=500' : `?limit=500&after=${encodeURIComponent(after)}`;
    const page = (await server.request('GET', `/v1/services${query}`, company.token)).json() as {
      items: Array<{ serviceId: string; sync: { status: string } }>;
      next: string | null;
    };
    items.push(...page.items);
    after = page.next;
  } while (after !== null);
  return items;
}

/** Registers every service linked to an event type of its own, then edits them round by round. */
async function drive(server: BenchServer, simulator: CalcomSimulator): Promise<void> {
  for (let i = 0; i < env.BENCH_READS_SERVICES; i++) {
    const slug = `bench-service-${i}`;
    const eventTypeId = simulator.control.uiCreateEventType(TEAM_ID, { title: slug, slug }).id;
    await expectStatus(
      server.request('POST', '/v1/services', company.token, {
        name: `Service ${i}`,
        slug,
        durationMinutes: 30,
        price: { amount: 3500, currency: 'EUR' },
        calcom: { eventTypeId },
      }),
      201,
      `registering ${slug}`,
    );
  }
  const services = await listServices(server);
  for (let round = 0; round < env.BENCH_READS_EDITS; round++) {
    for (const service of services) {
      // Alternately a field Cal.com mirrors (a sync follows) and one only the platform knows.
      const patch = round % 2 === 0 ? { durationMinutes: 31 + round } : { priority: round };
      await expectStatus(
        server.request(
          'PATCH',
          `/v1/services/${encodeURIComponent(service.serviceId)}`,
          company.token,
          patch,
        ),
        200,
        `editing ${service.serviceId}`,
      );
    }
  }
}

/** The run counts only if the sync finished its work: every service holds its values in Cal.com. */
async function expectAllSynced(server: BenchServer): Promise<void> {
  const items = await listServices(server);
  const unsynced = items.filter((item) => item.sync.status !== 'synced');
  if (items.length !== env.BENCH_READS_SERVICES || unsynced.length > 0) {
    throw new Error(
      `After the run ${items.length} services are listed and ${unsynced.length} are not synced (e.g. ${JSON.stringify(unsynced[0])}); the counts would not be comparable. Check the server's sync.`,
    );
  }
}

async function measure(engine: EngineUnderTest): Promise<EngineResult> {
  const simulator = await startCalcomSimulator({
    keys: [{ apiKey: API_KEY, teamIds: [TEAM_ID] }],
    teams: [{ id: TEAM_ID, name: 'Bench Salon' }],
    rateLimit: { limit: 10_000_000, windowMs: 60_000, blockMs: 60_000 },
  });
  const { store: inner, dispose } = await engine.open();
  const companies = [
    {
      ...company,
      calcom: { apiUrl: simulator.url, teamId: TEAM_ID, apiKey: API_KEY, webhookSecret: 'whsec' },
    },
  ];
  try {
    const counted = new CountingStore(inner, repoRoot);
    const server = await startBenchServer(counted, companies);
    await counted.settled(QUIET_MS, SETTLE_TIMEOUT_MS);
    const startEmpty = counted.tally();
    await drive(server, simulator);
    await counted.settled(QUIET_MS, SETTLE_TIMEOUT_MS);
    await expectAllSynced(server);
    const steady = diff(counted.tally(), startEmpty);

    await server.stop();

    // A first start on a store that holds the run: no snapshot, no checkpoints shown.
    const cold = new CountingStore(inner, repoRoot, true);
    const second = await startBenchServer(cold, companies);
    await cold.settled(QUIET_MS, SETTLE_TIMEOUT_MS);
    const coldStart = cold.tally();
    await second.stop();

    // A restart after a clean stop, which writes the status snapshot.
    const afterStop = new CountingStore(inner, repoRoot);
    const third = await startBenchServer(afterStop, companies);
    await afterStop.settled(QUIET_MS, SETTLE_TIMEOUT_MS);
    const cleanRestart = afterStop.tally();
    await third.stop();
    return {
      engine: engine.name,
      startEmpty: nonZero(startEmpty),
      steady,
      coldStart: nonZero(coldStart),
      cleanRestart: nonZero(cleanRestart),
      storedServiceEvents: steady.appendedServiceEvents + startEmpty.appendedServiceEvents,
    };
  } finally {
    await inner.close();
    await dispose();
    await simulator.close();
  }
}

const engines: EngineUnderTest[] = [
  {
    name: 'memory',
    open: async () => ({ store: createInMemoryEventStore(), dispose: async () => {} }),
  },
  {
    name: 'pglite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'calsync-bench-reads-'));
      return {
        store: await openEventStore({ dataDir: join(dir, 'data') }),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];
const databaseUrl = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL;
if (databaseUrl) {
  engines.push({
    name: 'postgres',
    open: async () => {
      const schema = `calsync_bench_reads_${process.pid}`;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      return {
        store: await openEventStore({ databaseUrl, databaseSchema: schema, dataDir: tmpdir() }),
        dispose: async () => {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  });
}

const results: EngineResult[] = [];
for (const engine of engines) {
  const result = await measure(engine);
  console.info(engine.name, JSON.stringify(result, null, 1));
  results.push(result);
}

const ratio = (reads: number, appended: number) => (appended === 0 ? '—' : (reads / appended).toFixed(2));
const how = (reader: ReaderTally) =>
  reader.kind === 'subscription' ? 'subscription handler' : `${reader.kind} (${count(reader.calls)} calls)`;
const byReads = (a: ReaderTally, b: ReaderTally) => b.serviceEvents - a.serviceEvents;
const verdict = (reads: number, appended: number) => (reads <= appended ? 'met' : '**missed**');

const summary = results.map(
  (r) =>
    `| ${r.engine} | ${count(r.steady.appendedServiceEvents)} | ${count(serviceReads(r.steady))} | ${ratio(serviceReads(r.steady), r.steady.appendedServiceEvents)} | 1: ${verdict(serviceReads(r.steady), r.steady.appendedServiceEvents)} |`,
);
const breakdown = results.flatMap((r) =>
  r.steady.readers
    .sort(byReads)
    .map(
      (reader) =>
        `| ${r.engine} | \`${reader.reader}\` | ${how(reader)} | ${count(reader.serviceEvents)} | ${ratio(reader.serviceEvents, r.steady.appendedServiceEvents)} |`,
    ),
);
const readersOf = (tally: Tally) =>
  tally.readers
    .sort(byReads)
    .map(
      (x) =>
        `\`${x.reader}\` (${x.kind}): ${count(x.serviceEvents)}${x.otherEvents > 0 ? ` + ${count(x.otherEvents)} of other streams` : ''}`,
    )
    .join('; ') || '—';
const startup = results.flatMap((r) => [
  `| ${r.engine} | on the empty store | 0 | ${count(serviceReads(r.startEmpty))} | — | ${readersOf(r.startEmpty)} |`,
  `| ${r.engine} | cold, on the run's store (no snapshot, no checkpoints) | ${count(r.storedServiceEvents)} | ${count(serviceReads(r.coldStart))} | ${ratio(serviceReads(r.coldStart), r.storedServiceEvents)} | ${readersOf(r.coldStart)} |`,
  `| ${r.engine} | after a clean stop (snapshot written) | ${count(r.storedServiceEvents)} | ${count(serviceReads(r.cleanRestart))} | ${ratio(serviceReads(r.cleanRestart), r.storedServiceEvents)} | ${readersOf(r.cleanRestart)} |`,
]);
const skipped = databaseUrl
  ? ''
  : '\n- postgres: not measured (neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set).';

const body = `### Store reads per appended service event (${env.BENCH_LABEL})

Run on ${machine()}. \`pnpm bench:reads\` (bench/reads/run.ts): the server's composition root
(\`Calsync\`) on a store wrapped in a counting decorator, one company linked to an in-process
Cal.com simulator; over HTTP ${count(env.BENCH_READS_SERVICES)} services registered and linked, then
${env.BENCH_READS_EDITS} edits of each (alternately a synced field, so a push follows, and a
platform-only one); then wait until idle and check that every service is \`synced\` (every subscription caught up, nothing appended for
${count(QUIET_MS)} ms). Appended counts every event newly stored on a \`service-\` stream (edits,
links, sync requests and outcomes); read counts every service event the store returned
(readStream, readAll) or delivered to a subscription handler, by the module that asked.

| engine | service events appended | service events read | reads ÷ appended | goal |
| --- | --- | --- | --- | --- |
${summary.join('\n')}

Steady state, by reader:

| engine | reader | how | service events read | per appended |
| --- | --- | --- | --- | --- |
${breakdown.join('\n')}

Start-up (catch-up), counted apart from the steady state, until the started server is idle: on
the empty store; cold on the run's store (the decorator hides every stream but the services' and
every durable checkpoint, so each reader starts from the beginning: a first start on a store
that holds services); and after a clean stop, which writes the snapshot and the checkpoints.

| engine | start | service events stored | service events read | per stored | by reader |
| --- | --- | --- | --- | --- | --- |
${startup.join('\n')}
${skipped}`;

console.info(body);
console.info(`wrote ${writeReadmeBlock(`reads-bench:${env.BENCH_LABEL}`, body)}`);
