import { readFileSync } from 'node:fs';
import type { CalcomSimulator } from '@calsync/calcom-simulator';
import { type EventStore, openEventStore } from '@calsync/eventstore';
import type { DestinationStream, Logger } from 'pino';
import { auditIndexedDataFields } from './audit/audit-feed.js';
import { Calsync, type CalsyncOptions } from './calsync.js';
import { type AppConfig, DEMO, loadConfig } from './config/load-config.js';
import { createLogger } from './logger.js';
import { loadDemoSimulator } from './startup/load-demo-simulator.js';
import { StartupRefusedError } from './startup/startup-refusal.js';

export interface StartServerOptions {
  env: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
  logDestination?: DestinationStream;
  /** Overrides for tests: clock, ids, randomness, rate limits. */
  overrides?: Partial<Omit<CalsyncOptions, 'config' | 'store' | 'logger'>>;
  /** Called once if the embedded store breaks beyond repair (logged first); main exits with 70. */
  onStoreBroken?: (cause: unknown) => void;
}

export interface RunningServer {
  url: string;
  calsync: Calsync;
  config: AppConfig;
  logger: Logger;
  /** The in-process Cal.com simulator of the demo mode, if any. */
  simulator: CalcomSimulator | null;
  close(): Promise<void>;
}

export class ConfigurationError extends Error {
  constructor(
    readonly problems: string[],
    message: string,
  ) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Demo event types so a newcomer has something to link and import. */
const demoEventTypes = [
  {
    id: 1001,
    title: 'Herrenhaarschnitt',
    slug: 'herrenhaarschnitt',
    lengthInMinutes: 30,
    price: 3500,
    currency: 'eur',
  },
  { id: 1002, title: 'Damenhaarschnitt', slug: 'damenhaarschnitt', lengthInMinutes: 60 },
  { id: 1003, title: 'Bartpflege', slug: 'bartpflege', lengthInMinutes: 20, price: 1500, currency: 'eur' },
];

/**
 * Starts calsync: validated configuration, the store docs/operations.md names (ESDB, else PostgreSQL,
 * else embedded PGlite in DATA_DIR), and — without CALSYNC_CONFIG — a demo company wired to
 * the bundled Cal.com simulator, loaded only then. Where the simulator is not installed (a
 * production install), demo mode throws a StartupRefusedError saying what to do instead.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const loaded = loadConfig(options.env, options.readFile ?? ((path) => readFileSync(path, 'utf8')));
  if (loaded.isErr()) throw new ConfigurationError(loaded.error.problems, loaded.error.message);
  let config = loaded.value;
  const logger = createLogger(config.logLevel, options.logDestination);

  let simulator: CalcomSimulator | null = null;
  if (config.demo) {
    const startCalcomSimulator = await loadDemoSimulator();
    if (startCalcomSimulator.isErr()) throw new StartupRefusedError(startCalcomSimulator.error);
    simulator = await startCalcomSimulator.value({
      keys: [{ apiKey: DEMO.apiKey, teamIds: [DEMO.teamId] }],
      teams: [{ id: DEMO.teamId, name: 'Demo Salon', eventTypes: demoEventTypes }],
    });
    const calcom = {
      apiUrl: simulator.url,
      teamId: DEMO.teamId,
      apiKey: DEMO.apiKey,
      webhookSecret: DEMO.webhookSecret,
    };
    config = { ...config, companies: config.companies.map((company) => ({ ...company, calcom })) };
  }

  let store: EventStore;
  try {
    store = await openEventStore({
      ...config.store,
      indexedDataFields: [...auditIndexedDataFields],
      // The store frees a silent instance's leases early enough for the next check to take them.
      leaseTimeoutMs: config.cluster.takeoverMs - config.cluster.leaseCheckMs,
      onEmbeddedEngineBroken: (cause) => {
        logger.fatal(
          { err: cause },
          'The embedded database stopped working after an internal error; calsync stops so that its supervisor restarts it. / ' +
            'Die eingebettete Datenbank arbeitet nach einem internen Fehler nicht mehr; calsync beendet sich, damit der Supervisor es neu startet.',
        );
        options.onStoreBroken?.(cause);
      },
    });
  } catch (cause) {
    await simulator?.close();
    throw cause;
  }
  const calsync = new Calsync({ config, store, logger, ...options.overrides });
  const app = await calsync.start();
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('[::1]', 'localhost');
  logger.info({ url, store: store.engine, demo: Boolean(config.demo) }, 'calsync listening');

  return {
    url,
    calsync,
    config,
    logger,
    simulator,
    async close() {
      await calsync.stop();
      await store.close();
      await simulator?.close();
    },
  };
}
