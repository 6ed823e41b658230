import { randomUUID } from 'node:crypto';
import { type CalcomClient, createCalcomClient, createRateLimiter } from '@calsync/calcom';
import {
  type CalcomSimulator,
  type RateLimitSettings,
  startCalcomSimulator,
} from '@calsync/calcom-simulator';
import type { ServiceCommand } from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import {
  type AppConfig,
  CalcomDirectory,
  Calsync,
  createLogger,
  loadConfig,
  type ServiceCommandBus,
  type ServiceReadModel,
  type SyncProcessManager,
  sha256Hex,
} from '@calsync/server';

export const TEAM_ID = 42;
const API_KEY = 'cal_bench_sync';

export interface RigOptions {
  store: EventStore;
  /** Cal.com's limit as the simulator enforces it; the client's limiter is set to the same. */
  rateLimit: RateLimitSettings;
}

/** The rig's one team, whose client `resetRateLimits` replaces. */
class RigDirectory extends CalcomDirectory {
  constructor(
    config: AppConfig,
    private readonly current: () => CalcomClient,
  ) {
    super(config.companies, config.sync, () => current());
  }

  override clientForTeam(teamId: number): CalcomClient | null {
    return teamId === TEAM_ID ? this.current() : null;
  }
}

/**
 * The outbound sync as the server wires it: the composition root `Calsync` in process (status
 * projection, command bus, process manager with real time and the default coalescing interval)
 * against a Cal.com simulator with no latency.
 */
export class SyncRig {
  readonly calsync: Calsync;
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly manager: SyncProcessManager;
  private client: CalcomClient;

  private constructor(
    readonly store: EventStore,
    readonly simulator: CalcomSimulator,
    private readonly options: RigOptions,
  ) {
    this.client = this.freshClient();
    const config = rigConfig(simulator.url);
    this.calsync = new Calsync({
      config,
      store,
      logger: createLogger('silent'),
      directory: new RigDirectory(config, () => this.client),
    });
    this.readModel = this.calsync.readModel;
    this.commands = this.calsync.commands;
    this.manager = this.calsync.sync;
  }

  static async start(options: RigOptions): Promise<SyncRig> {
    const simulator = await startCalcomSimulator({
      keys: [{ apiKey: API_KEY, teamIds: [TEAM_ID] }],
      teams: [{ id: TEAM_ID, name: 'Bench Salon' }],
      rateLimit: options.rateLimit,
    });
    const rig = new SyncRig(options.store, simulator, options);
    await rig.calsync.start();
    return rig;
  }

  /** Forgets every request Cal.com counted and every slot our limiter holds: a clean start. */
  resetRateLimits(): void {
    this.simulator.control.resetRateLimits();
    this.client = this.freshClient();
  }

  async execute(command: ServiceCommand): Promise<void> {
    const result = await this.commands.execute(command);
    if (result.isErr()) throw new Error(`${command.type}: ${result.error.message}`);
  }

  /** Registers `count` services, each linked to an event type of its own; returns their ids. */
  async registerLinked(
    count: number,
    prefix: string,
  ): Promise<Array<{ serviceId: string; eventTypeId: number }>> {
    const services: Array<{ serviceId: string; eventTypeId: number }> = [];
    for (let i = 0; i < count; i++) {
      const slug = `${prefix}-${i}`;
      const eventTypeId = this.simulator.control.uiCreateEventType(TEAM_ID, { title: slug, slug }).id;
      const serviceId = `${prefix}-${i}`;
      await this.execute({
        ...meta(serviceId),
        type: 'RegisterService',
        fields: { name: `Service ${i}`, slug, durationMinutes: 30, price: { amount: 1000, currency: 'EUR' } },
        calcom: { teamId: TEAM_ID, eventTypeId },
        syncId: randomUUID(),
      });
      services.push({ serviceId, eventTypeId });
    }
    return services;
  }

  edit(serviceId: string, patch: Record<string, unknown>): Promise<void> {
    return this.execute({ ...meta(serviceId), type: 'EditService', patch, syncId: randomUUID() });
  }

  async close(): Promise<void> {
    await this.calsync.stop({ drainMs: 1000 });
    await this.simulator.close();
    await this.store.close();
  }

  private freshClient(): CalcomClient {
    const { limit, windowMs } = this.options.rateLimit;
    return createCalcomClient({
      apiUrl: this.simulator.url,
      apiKey: API_KEY,
      limiter: createRateLimiter({ limit, windowMs }),
    });
  }
}

function meta(serviceId: string) {
  return { serviceId, companyId: 'bench', actor: 'admin:bench' as const, at: new Date().toISOString() };
}

/** The configuration as calsync loads it: company bench on Cal.com team 42, the sync policy of the benchmarks. */
function rigConfig(apiUrl: string): AppConfig {
  const file = {
    companies: [
      {
        id: 'bench',
        apiTokenSha256: [sha256Hex('bench-token')],
        calcom: { apiUrl, teamId: TEAM_ID, apiKey: API_KEY, webhookSecret: 'bench' },
      },
    ],
    sync: { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 300_000 },
    reconciliation: { intervalMinutes: 0 },
  };
  const loaded = loadConfig({ CALSYNC_CONFIG: 'calsync.json', LOG_LEVEL: 'silent' }, () =>
    JSON.stringify(file),
  );
  if (loaded.isErr()) throw new Error(`the bench configuration is invalid: ${loaded.error.message}`);
  return loaded.value;
}
