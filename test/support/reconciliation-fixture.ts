import { randomUUID } from 'node:crypto';
import { createCalcomClient, createRateLimiter } from '@calsync/calcom';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import {
  type Actor,
  parseServiceEvent,
  type ReconciliationMode,
  type ServiceEvent,
  type ServiceState,
  type ServiceView,
} from '@calsync/domain';
import { createInMemoryEventStore, type EventStore } from '@calsync/eventstore';
import {
  CalcomDirectory,
  Calsync,
  type CommandOutcome,
  type CompanyConfig,
  createLogger,
  type Reconciler,
  type ReconcilerDeps,
  type RunView,
  type ServiceCommandBus,
  type ServiceReadModel,
  type SyncProcessManager,
  sha256Hex,
} from '@calsync/server';
import { calsyncConfig } from './calsync-config.js';

/**
 * The reconciler as the server wires it, on the in-memory store, against a real Cal.com
 * simulator through real clients, with the real outbound sync making linked services synced.
 * Companies: acme (team 42), globex (team 43), initech (no Cal.com).
 */

export const ACME = { id: 'acme', teamId: 42, token: 'acme-reconcile-token' } as const;
export const GLOBEX = { id: 'globex', teamId: 43, token: 'globex-reconcile-token' } as const;
export const INITECH = { id: 'initech', token: 'initech-reconcile-token' } as const;
export const ADMIN: Actor = 'admin:alice';

const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');

export interface WorldOptions {
  settings?: Partial<ReconcilerDeps['settings']>;
  timers?: ReconcilerDeps['timers'];
}

/**
 * The composition root `Calsync`, in process, wired like the server (status projection, command bus,
 * outbound sync, reconciler, HTTP shell with the reconciliation routes).
 */
export class ReconciliationWorld {
  readonly calsync: Calsync;
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly directory: CalcomDirectory;
  readonly sync: SyncProcessManager;
  readonly reconciler: Reconciler;
  readonly companies: CompanyConfig[];

  private constructor(
    readonly store: EventStore,
    readonly simulator: CalcomSimulator,
    options: WorldOptions,
  ) {
    // A key per world: clients of one key share a rate limiter, and tests must not wait on each other.
    const key = (team: number) => `cal_test_${team}_${randomUUID()}`;
    const keys = { [ACME.teamId]: key(ACME.teamId), [GLOBEX.teamId]: key(GLOBEX.teamId) };
    for (const [team, apiKey] of Object.entries(keys)) simulator.control.addKey(apiKey, [Number(team)]);
    const config = calsyncConfig({
      companies: [
        ...[ACME, GLOBEX].map((company) => ({
          id: company.id,
          apiTokenSha256: [sha256Hex(company.token)],
          calcom: {
            apiUrl: simulator.url,
            teamId: company.teamId,
            apiKey: keys[company.teamId] ?? '',
            webhookSecret: 's',
          },
        })),
        { id: INITECH.id, apiTokenSha256: [sha256Hex(INITECH.token)] },
      ],
      sync: {
        maxAttempts: 3,
        baseDelayMs: 1000,
        maxDelayMs: 10_000,
        rateLimitPerMinute: 100_000,
        maxRateLimitResetMs: 900_000,
      },
      reconciliation: {
        intervalMinutes: 0,
        missesBeforeOrphan: 3,
        maxMissingShare: 0.5,
        ...options.settings,
      },
    });
    this.companies = config.companies;
    this.directory = new CalcomDirectory(config.companies, config.sync, (settings) =>
      createCalcomClient({
        apiUrl: settings.apiUrl,
        apiKey: settings.apiKey,
        limiter: createRateLimiter({ limit: 100_000, windowMs: 60_000 }),
      }),
    );
    this.calsync = new Calsync({
      config,
      store,
      logger,
      random: () => 0.5,
      directory: this.directory,
      syncPolicy: { minPushIntervalMs: 0 },
      ...(options.timers ? { reconciliationTimers: options.timers } : {}),
    });
    this.readModel = this.calsync.readModel;
    this.commands = this.calsync.commands;
    this.sync = this.calsync.sync;
    this.reconciler = this.calsync.reconciler;
  }

  static async start(options: WorldOptions = {}): Promise<ReconciliationWorld> {
    const simulator = await startCalcomSimulator({
      teams: [
        { id: ACME.teamId, name: 'Acme Salon' },
        { id: GLOBEX.teamId, name: 'Globex Spa' },
      ],
      rateLimit: { limit: 100_000, windowMs: 60_000, blockMs: 60_000 },
    });
    const world = new ReconciliationWorld(createInMemoryEventStore(), simulator, options);
    await world.calsync.start();
    return world;
  }

  /** Another reconciler on the same store, as after a restart of the server. */
  newReconciler(): Reconciler {
    return this.calsync.newReconciler();
  }

  /** Calsync's HTTP shell (with the reconciliation routes) listening on a free port of 127.0.0.1; its base URL. */
  listen(): Promise<string> {
    return this.calsync.http.listen({ host: '127.0.0.1', port: 0 });
  }

  async close(): Promise<void> {
    await this.calsync.stop();
    await this.simulator.close();
  }

  /**
   * `count` services of a company, each linked to an event type created in Cal.com's UI with
   * the service's price, and pushed until Cal.com confirmed them (status synced).
   */
  async linkedServices(
    count: number,
    company: { id: string; teamId: number } = ACME,
  ): Promise<ServiceState[]> {
    const ids: string[] = [];
    for (let n = 1; n <= count; n++) {
      const serviceId = `${company.id}-svc-${n}`;
      const eventType = this.simulator.control.uiCreateEventType(company.teamId, {
        title: `Calcom ${n}`,
        slug: `${company.id}-origin-${n}`,
        price: 3500,
        currency: 'eur',
      });
      await this.execute({
        type: 'RegisterService',
        serviceId,
        companyId: company.id,
        actor: ADMIN,
        at: new Date().toISOString(),
        fields: {
          name: `Service ${n}`,
          slug: `${company.id}-service-${n}`,
          durationMinutes: 30,
          price: { amount: 3500, currency: 'EUR' },
        },
        calcom: { teamId: company.teamId, eventTypeId: eventType.id },
        syncId: randomUUID(),
      });
      ids.push(serviceId);
    }
    await this.sync.idle();
    const states = ids.map((id) => this.service(id));
    for (const state of states)
      if (state.status !== 'synced') throw new Error(`${state.serviceId} is ${state.status}`);
    return states;
  }

  async execute(command: Parameters<ServiceCommandBus['execute']>[0]): Promise<CommandOutcome> {
    const result = await this.commands.execute(command);
    if (result.isErr()) throw new Error(`${command.type} failed: ${result.error.message}`);
    return result.value;
  }

  service(serviceId: string): ServiceState {
    const state = this.readModel.get(serviceId);
    if (!state) throw new Error(`no service ${serviceId}`);
    return state;
  }

  view(serviceId: string): ServiceView {
    return this.calsync.services.view(this.service(serviceId));
  }

  /** Every service event in the store, in commit order. */
  async serviceEvents(): Promise<ServiceEvent[]> {
    const recorded = (
      await this.store.readAll({ streamPrefixes: ['service-'], maxCount: 1_000_000 })
    )._unsafeUnwrap();
    return recorded.map((event) => parseServiceEvent(event.type, event.data)._unsafeUnwrap());
  }

  /** Starts a run and waits for it to end. */
  async reconcile(mode: ReconciliationMode, companyId: string = ACME.id): Promise<RunView> {
    const started = await this.reconciler.run(companyId, mode, ADMIN);
    if (started.isErr()) throw new Error(`run failed to start: ${started.error.message}`);
    const view = await this.reconciler.waitForRun(started.value.runId);
    if (!view) throw new Error(`run ${started.value.runId} is unknown`);
    return view;
  }

  /** Makes the next listing of a team answer with `status` and `body` instead of Cal.com's. */
  listingAnswers(teamId: number, status: number, body?: unknown): void {
    this.simulator.control.injectFault({
      method: 'GET',
      path: `/v2/teams/${teamId}/event-types`,
      kind: 'status',
      status,
      ...(body === undefined ? {} : { body }),
      times: 1,
    });
  }
}
