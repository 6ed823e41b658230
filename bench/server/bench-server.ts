import type { EventStore } from '@calsync/eventstore';
import { Calsync, createLogger, loadConfig, sha256Hex } from '@calsync/server';

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

/**
 * The server's configuration, read by the server's own loader from a configuration file that
 * exists only in memory, plus the environment (store selection: DATABASE_URL, DATA_DIR, …).
 */
export function benchConfig(companies: readonly BenchCompany[], env: Record<string, string> = {}) {
  const path = '/calsync-bench/calsync.json';
  const file = JSON.stringify({
    companies: companies.map((company) => ({
      id: company.id,
      apiTokenSha256: [sha256Hex(company.token)],
      ...(company.calcom ? { calcom: company.calcom } : {}),
    })),
    ...unthrottled,
  });
  const loaded = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', CALSYNC_CONFIG: path, ...env }, (wanted) => {
    if (wanted !== path) throw new Error(`no such file: ${wanted}`);
    return file;
  });
  if (loaded.isErr()) throw new Error(loaded.error.message);
  return loaded.value;
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
