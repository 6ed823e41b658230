import type { EventStore } from '@calsync/eventstore';
import {
  Calsync,
  createLogger,
  loadConfig,
  type RunningServer,
  sha256Hex,
  startServer,
} from '@calsync/server';

/** A company of the benchmark's configuration file (docs/operations.md, "Configuration"). */
export interface BenchCompany {
  id: string;
  /** The bearer token its admins use; the configuration keeps only its digest. */
  token: string;
  calcom?: { apiUrl: string; teamId: number; apiKey: string; webhookSecret: string };
}

/** Limits high enough that the benchmark measures the server, not its request budgets. */
const unthrottled = {
  http: { rateLimit: { perIpPerMinute: 10_000_000, perTokenPerMinute: 10_000_000 } },
  sync: { rateLimitPerMinute: 10_000_000 },
  // No periodic run: reconciliation would read the store on its own schedule.
  reconciliation: { intervalMinutes: 0 },
};

const configPath = '/calsync-bench/calsync.json';

/** The configuration file of the benchmark's companies (in memory only: it is never written). */
function benchConfigFile(companies: readonly BenchCompany[]): string {
  return JSON.stringify({
    companies: companies.map((company) => ({
      id: company.id,
      apiTokenSha256: [sha256Hex(company.token)],
      ...(company.calcom ? { calcom: company.calcom } : {}),
    })),
    ...unthrottled,
  });
}

/** Reads only the benchmark's in-memory configuration file. */
const readBenchFile = (file: string) => (wanted: string) => {
  if (wanted !== configPath) throw new Error(`no such file: ${wanted}`);
  return file;
};

/**
 * The server's configuration, read by the server's own loader from a configuration file that
 * exists only in memory, plus the environment (store selection: DATABASE_URL, DATA_DIR, …).
 */
export function benchConfig(companies: readonly BenchCompany[], env: Record<string, string> = {}) {
  const loaded = loadConfig(
    { LOG_LEVEL: 'silent', PORT: '0', CALSYNC_CONFIG: configPath, ...env },
    readBenchFile(benchConfigFile(companies)),
  );
  if (loaded.isErr()) throw new Error(loaded.error.message);
  return loaded.value;
}

/**
 * `startServer` (what `pnpm start` runs, listening on a free port of 127.0.0.1) with the
 * benchmark's companies and the store the environment selects (e.g. DATABASE_URL).
 */
export function startBenchHttpServer(
  companies: readonly BenchCompany[],
  env: Record<string, string>,
): Promise<RunningServer> {
  return startServer({
    env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CALSYNC_CONFIG: configPath, ...env },
    readFile: readBenchFile(benchConfigFile(companies)),
  });
}

export interface BenchServer {
  calsync: Calsync;
  /** One request through the server's HTTP shell (Fastify's inject: no socket in between). */
  request(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: () => unknown }>;
  stop(): Promise<void>;
}

/**
 * The real composition root (`Calsync`, what `startServer` runs) on a store the benchmark hands
 * it, so a decorator can stand between the server and the store. Stopping leaves the store open.
 */
export async function startBenchServer(
  store: EventStore,
  companies: readonly BenchCompany[],
  env: Record<string, string> = {},
): Promise<BenchServer> {
  const calsync = new Calsync({ config: benchConfig(companies, env), store, logger: createLogger('silent') });
  const app = await calsync.start();
  return {
    calsync,
    async request(method, url, token, body) {
      const response = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
      return { status: response.statusCode, json: () => response.json() };
    },
    stop: () => calsync.stop({ drainMs: 5_000 }),
  };
}
