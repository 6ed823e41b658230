import { randomUUID } from 'node:crypto';
import { type CalcomClient, createCalcomClient, createRateLimiter, type RateLimiter } from '@calsync/calcom';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import type {
  CalcomValues,
  ServiceCommand,
  ServiceFields,
  ServiceView,
  TeamRateLimitWait,
  TeamSyncContext,
} from '@calsync/domain';
import { createInMemoryEventStore, type EventStore } from '@calsync/eventstore';
import {
  CalcomDirectory,
  Calsync,
  type CommandOutcome,
  createLogger,
  type ServiceCommandBus,
  type ServiceReadModel,
  type SyncPolicy,
  type SyncProcessManager,
  type SyncTimers,
  sha256Hex,
  teamRateLimitWait,
} from '@calsync/server';
import { calsyncConfig } from './calsync-config.js';

export const TEAM_ID = 42;
export const API_KEY = 'cal_test_sync_harness';
export const COMPANY_ID = 'acme';
export const ADMIN = 'admin:alice' as const;

/**
 * Time that only moves when a test says so: the process manager's clock and its retry timers.
 * (Cal.com calls still take real time; tests wait for them with `manager.idle()`.)
 */
export class ManualTime implements SyncTimers {
  private current: number;
  private tasks: Array<{ at: number; task: () => void }> = [];

  constructor(start = Date.UTC(2025, 2, 1, 9, 0, 0)) {
    this.current = start;
  }

  readonly clock = (): Date => new Date(this.current);

  schedule(ms: number, task: () => void): () => void {
    const entry = { at: this.current + ms, task };
    this.tasks.push(entry);
    return () => {
      this.tasks = this.tasks.filter((candidate) => candidate !== entry);
    };
  }

  /** Moves time on by `ms`, running every timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.tasks.filter((entry) => entry.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.tasks = this.tasks.filter((entry) => entry !== due);
      this.current = Math.max(this.current, due.at);
      due.task();
    }
    this.current = until;
  }

  pending(): number {
    return this.tasks.length;
  }
}

export const quietLogger: ReturnType<typeof createLogger> = createLogger(process.env.LOG_LEVEL ?? 'silent');

export function serviceFields(name: string, overrides: Partial<ServiceFields> = {}): Record<string, unknown> {
  return {
    name,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
    ...overrides,
  };
}

export interface SyncHarnessOptions {
  policy?: Partial<SyncPolicy>;
  /** Drive the manager's clock and timers by hand. */
  manualTime?: boolean;
  /** Reuse a store and simulator (a restart). */
  store?: EventStore;
  simulator?: CalcomSimulator;
  limiter?: RateLimiter;
  /** Wraps the real client (a double that throws, say). */
  client?: (real: CalcomClient) => CalcomClient;
  random?: () => number;
  /** The manager's clock when time is not manual. */
  clock?: () => Date;
  logger?: ReturnType<typeof createLogger>;
}

/** The harness's team: one client (real, or wrapped by the test) and the limiter it shares. */
class HarnessDirectory extends CalcomDirectory {
  constructor(
    config: ReturnType<typeof calsyncConfig>,
    private readonly client: CalcomClient,
    private readonly limiter: RateLimiter,
  ) {
    super(config.companies, config.sync, () => client);
  }

  override clientForTeam(teamId: number): CalcomClient | null {
    return teamId === TEAM_ID ? this.client : null;
  }

  override rateLimitWait(teamId: number): TeamRateLimitWait | null {
    return teamId === TEAM_ID ? teamRateLimitWait(this.limiter, API_KEY) : null;
  }
}

/**
 * The outbound sync as the server wires it (the composition root `Calsync`, in process), on the
 * in-memory store, against a real Cal.com simulator through real clients: the status projection,
 * the command bus and the process manager. Company acme, Cal.com team 42.
 */
export class SyncHarness {
  readonly calsync: Calsync;
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly manager: SyncProcessManager;
  readonly client: CalcomClient;
  readonly time: ManualTime | null;
  private seq = 0;

  private constructor(
    readonly store: EventStore,
    readonly simulator: CalcomSimulator,
    readonly limiter: RateLimiter,
    options: SyncHarnessOptions,
  ) {
    const real = createCalcomClient({ apiUrl: simulator.url, apiKey: API_KEY, limiter });
    this.client = options.client ? options.client(real) : real;
    this.time = options.manualTime ? new ManualTime() : null;
    const config = calsyncConfig({
      companies: [
        {
          id: COMPANY_ID,
          apiTokenSha256: [sha256Hex('sync-harness-token')],
          calcom: { apiUrl: simulator.url, teamId: TEAM_ID, apiKey: API_KEY, webhookSecret: 'sync-harness' },
        },
      ],
      reconciliation: { intervalMinutes: 0 },
    });
    const timers: SyncTimers | undefined = this.time ?? undefined;
    this.calsync = new Calsync({
      config,
      store,
      logger: options.logger ?? quietLogger,
      clock: this.time ? this.time.clock : (options.clock ?? (() => new Date())),
      random: options.random ?? (() => 0.5),
      directory: new HarnessDirectory(config, this.client, limiter),
      syncPolicy: {
        maxAttempts: 5,
        baseDelayMs: 1000,
        maxDelayMs: 60_000,
        minPushIntervalMs: 0,
        ...options.policy,
      },
      ...(timers ? { syncTimers: timers } : {}),
    });
    this.readModel = this.calsync.readModel;
    this.commands = this.calsync.commands;
    this.manager = this.calsync.sync;
  }

  static async start(options: SyncHarnessOptions = {}): Promise<SyncHarness> {
    const simulator =
      options.simulator ??
      (await startCalcomSimulator({
        keys: [{ apiKey: API_KEY, teamIds: [TEAM_ID] }],
        teams: [{ id: TEAM_ID, name: 'Salon' }],
        rateLimit: { limit: 100_000, windowMs: 60_000, blockMs: 60_000 },
      }));
    const limiter = options.limiter ?? createRateLimiter({ limit: 100_000, windowMs: 60_000 });
    const harness = new SyncHarness(options.store ?? createInMemoryEventStore(), simulator, limiter, options);
    await harness.calsync.start();
    return harness;
  }

  now(): string {
    return (this.time?.clock() ?? new Date()).toISOString();
  }

  /** An event type made in Cal.com's UI, to link a service to. */
  eventTypeInCalcom(slug: string): number {
    return this.simulator.control.uiCreateEventType(TEAM_ID, { title: slug, slug }).id;
  }

  async execute(command: ServiceCommand): Promise<CommandOutcome> {
    const result = await this.commands.execute(command);
    if (result.isErr()) throw new Error(`${command.type} failed: ${result.error.message}`);
    return result.value;
  }

  meta(serviceId: string) {
    return { serviceId, companyId: COMPANY_ID, actor: ADMIN, at: this.now() };
  }

  /** Registers a service linked to a new Cal.com event type; returns the event type id. */
  async registerLinked(serviceId: string, fields: Record<string, unknown>): Promise<number> {
    const eventTypeId = this.eventTypeInCalcom(`${serviceId}-origin`);
    await this.execute({
      ...this.meta(serviceId),
      type: 'RegisterService',
      fields,
      calcom: { teamId: TEAM_ID, eventTypeId },
      syncId: this.syncId(),
    });
    return eventTypeId;
  }

  edit(serviceId: string, patch: Record<string, unknown>): Promise<CommandOutcome> {
    return this.execute({ ...this.meta(serviceId), type: 'EditService', patch, syncId: this.syncId() });
  }

  reset(serviceId: string): Promise<CommandOutcome> {
    return this.execute({ ...this.meta(serviceId), type: 'ResetSyncStatus', syncId: this.syncId() });
  }

  view(serviceId: string): ServiceView {
    const state = this.readModel.get(serviceId);
    if (!state) throw new Error(`no service ${serviceId}`);
    return this.calsync.services.view(state);
  }

  /** What every status of the team's services says about the team (paused, rate-limited). */
  teamContext(teamId: number): TeamSyncContext {
    return this.calsync.teamContext(teamId);
  }

  /** An admin says the team's credentials are fixed; ok(false) when it was not paused. */
  resumeTeam(teamId: number, actor: `admin:${string}`): ReturnType<Calsync['teamSync']['resume']> {
    return this.calsync.teamSync.resume(teamId, actor);
  }

  /** The values Cal.com holds for an event type, in the shape the platform pushes. */
  calcomValues(eventTypeId: number): CalcomValues {
    const held = this.simulator.control.getEventType(TEAM_ID, eventTypeId);
    if (!held) throw new Error(`Cal.com has no event type ${eventTypeId}`);
    const policy = held.confirmationPolicy;
    return {
      title: held.title,
      slug: held.slug,
      description: held.description,
      lengthInMinutes: held.lengthInMinutes,
      hidden: held.hidden,
      beforeEventBuffer: held.beforeEventBuffer,
      afterEventBuffer: held.afterEventBuffer,
      minimumBookingNotice: held.minimumBookingNotice,
      confirmationPolicy:
        'disabled' in policy && policy.disabled === true
          ? { disabled: true }
          : {
              type: (policy as { type: 'always' | 'time' }).type,
              blockUnconfirmedBookingsInBooker: Boolean(
                (policy as { blockUnconfirmedBookingsInBooker?: boolean }).blockUnconfirmedBookingsInBooker,
              ),
            },
      disableGuests: held.disableGuests,
    };
  }

  /** PATCH requests Cal.com received for an event type. */
  patchesOf(eventTypeId: number) {
    return this.simulator.control
      .requests()
      .filter(
        (request) => request.method === 'PATCH' && request.path.endsWith(`/event-types/${eventTypeId}`),
      );
  }

  /** Every event of a service's stream, by type. */
  async eventTypesOf(serviceId: string): Promise<string[]> {
    return (await this.store.readStream(`service-${serviceId}`))._unsafeUnwrap().map((event) => event.type);
  }

  /** Stops calsync (the manager, then the projection); keeps store and simulator for a restart unless `all`. */
  async stop(options: { drainMs?: number; all?: boolean } = {}): Promise<void> {
    await this.calsync.stop({ drainMs: options.drainMs ?? 1000 });
    if (options.all) {
      await this.simulator.close();
      await this.store.close();
    }
  }

  private syncId(): string {
    this.seq += 1;
    return `sync-${this.seq}-${randomUUID()}`;
  }
}
