import { randomUUID } from 'node:crypto';
import { type CalcomClient, createCalcomClient, createRateLimiter, type RateLimiter } from '@calsync/calcom';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import {
  type CalcomValues,
  type ServiceCommand,
  type ServiceFields,
  type ServiceView,
  statusView,
} from '@calsync/domain';
import { createInMemoryEventStore, type EventStore, type Subscription } from '@calsync/eventstore';
import { teamRateLimitWait } from '../apps/server/src/calcom/calcom-directory.js';
import { createLogger } from '../apps/server/src/logger.js';
import { ServiceCommandBus } from '../apps/server/src/services/service-command-bus.js';
import { ServiceReadModel } from '../apps/server/src/services/service-read-model.js';
import { type SyncPolicy, SyncProcessManager } from '../apps/server/src/sync/sync-process-manager.js';
import type { SyncTimers } from '../apps/server/src/sync/sync-timers.js';

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

/**
 * The outbound sync as the server wires it, on the in-memory store, against a real Cal.com
 * simulator through real clients: a status projection fed by a subscription, the command bus
 * and the process manager.
 */
export class SyncHarness {
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly manager: SyncProcessManager;
  readonly client: CalcomClient;
  readonly time: ManualTime | null;
  private readonly projection: Subscription;
  private seq = 0;

  private constructor(
    readonly store: EventStore,
    readonly simulator: CalcomSimulator,
    readonly limiter: RateLimiter,
    options: SyncHarnessOptions,
  ) {
    this.readModel = new ServiceReadModel(store);
    this.commands = new ServiceCommandBus(store, this.readModel, randomUUID);
    this.projection = store.subscribe({
      streamPrefixes: ['service-'],
      handler: (event) => this.readModel.handle(event),
    });
    const real = createCalcomClient({ apiUrl: simulator.url, apiKey: API_KEY, limiter });
    this.client = options.client ? options.client(real) : real;
    this.time = options.manualTime ? new ManualTime() : null;
    this.manager = new SyncProcessManager({
      store,
      readModel: this.readModel,
      commands: this.commands,
      clientForTeam: (teamId) => (teamId === TEAM_ID ? this.client : null),
      rateLimitWait: (teamId) => (teamId === TEAM_ID ? teamRateLimitWait(limiter, API_KEY) : null),
      clock: this.time ? this.time.clock : (options.clock ?? (() => new Date())),
      random: options.random ?? (() => 0.5),
      policy: {
        maxAttempts: 5,
        baseDelayMs: 1000,
        maxDelayMs: 60_000,
        minPushIntervalMs: 0,
        ...options.policy,
      },
      logger: options.logger ?? quietLogger,
      ...(this.time ? { timers: this.time } : {}),
    });
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
    await harness.projection.caughtUp();
    await harness.manager.start();
    return harness;
  }

  now(): string {
    return (this.time?.clock() ?? new Date()).toISOString();
  }

  /** An event type made in Cal.com's UI, to link a service to. */
  eventTypeInCalcom(slug: string): number {
    return this.simulator.control.uiCreateEventType(TEAM_ID, { title: slug, slug }).id;
  }

  async execute(command: ServiceCommand) {
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

  edit(serviceId: string, patch: Record<string, unknown>) {
    return this.execute({ ...this.meta(serviceId), type: 'EditService', patch, syncId: this.syncId() });
  }

  reset(serviceId: string) {
    return this.execute({ ...this.meta(serviceId), type: 'ResetSyncStatus', syncId: this.syncId() });
  }

  view(serviceId: string): ServiceView {
    const state = this.readModel.get(serviceId);
    if (!state) throw new Error(`no service ${serviceId}`);
    const teamId = state.link?.teamId ?? state.createIn;
    return statusView(state, teamId === null ? { paused: null } : this.manager.teamContext(teamId));
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

  /** Stops the manager and projection; keeps store and simulator for a restart unless `all`. */
  async stop(options: { drainMs?: number; all?: boolean } = {}): Promise<void> {
    await this.manager.stop({ drainMs: options.drainMs ?? 1000 });
    await this.projection.stop();
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
