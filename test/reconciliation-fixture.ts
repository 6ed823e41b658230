import { randomUUID } from 'node:crypto';
import { createCalcomClient, createRateLimiter } from '@calsync/calcom';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import {
  type Actor,
  type ReconciliationMode,
  type ServiceEvent,
  type ServiceState,
  type ServiceView,
  statusView,
} from '@calsync/domain';
import { createInMemoryEventStore, type EventStore, type Subscription } from '@calsync/eventstore';
import { CalcomDirectory } from '../apps/server/src/calcom/calcom-directory.js';
import { type CompanyConfig, sha256Hex } from '../apps/server/src/config/load-config.js';
import { buildHttpApp } from '../apps/server/src/http/app.js';
import { createLogger } from '../apps/server/src/logger.js';
import { Reconciler, type ReconcilerDeps } from '../apps/server/src/reconciliation/reconciler.js';
import type { RunView } from '../apps/server/src/reconciliation/run-journal.js';
import { fromRecorded } from '../apps/server/src/services/event-codec.js';
import { ServiceApplication } from '../apps/server/src/services/service-application.js';
import { ServiceCommandBus } from '../apps/server/src/services/service-command-bus.js';
import { ServiceReadModel } from '../apps/server/src/services/service-read-model.js';
import { SyncProcessManager } from '../apps/server/src/sync/sync-process-manager.js';
import { WebhookInbox } from '../apps/server/src/webhooks/webhook-inbox.js';

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

export class ReconciliationWorld {
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly directory: CalcomDirectory;
  readonly sync: SyncProcessManager;
  readonly reconciler: Reconciler;
  readonly companies: CompanyConfig[];
  private readonly projection: Subscription;
  private http: Awaited<ReturnType<typeof buildHttpApp>> | undefined;

  private constructor(
    readonly store: EventStore,
    readonly simulator: CalcomSimulator,
    private readonly options: WorldOptions,
  ) {
    this.readModel = new ServiceReadModel(store);
    this.commands = new ServiceCommandBus(store, this.readModel, randomUUID);
    this.projection = store.subscribe({
      streamPrefixes: ['service-'],
      handler: (event) => this.readModel.handle(event),
    });
    // A key per world: clients of one key share a rate limiter, and tests must not wait on each other.
    const key = (team: number) => `cal_test_${team}_${randomUUID()}`;
    const keys = { [ACME.teamId]: key(ACME.teamId), [GLOBEX.teamId]: key(GLOBEX.teamId) };
    for (const [team, apiKey] of Object.entries(keys)) simulator.control.addKey(apiKey, [Number(team)]);
    const companies: CompanyConfig[] = [ACME, GLOBEX].map((company) => ({
      id: company.id,
      apiTokenSha256: [sha256Hex(company.token)],
      calcom: {
        apiUrl: simulator.url,
        teamId: company.teamId,
        apiKey: keys[company.teamId] ?? '',
        webhookSecret: 's',
      },
    }));
    companies.push({ id: INITECH.id, apiTokenSha256: [sha256Hex(INITECH.token)], calcom: null });
    this.companies = companies;
    const sync = {
      maxAttempts: 3,
      baseDelayMs: 1000,
      maxDelayMs: 10_000,
      rateLimitPerMinute: 100_000,
      maxRateLimitResetMs: 900_000,
    };
    this.directory = new CalcomDirectory(companies, sync, (settings) =>
      createCalcomClient({
        apiUrl: settings.apiUrl,
        apiKey: settings.apiKey,
        limiter: createRateLimiter({ limit: 100_000, windowMs: 60_000 }),
      }),
    );
    this.sync = new SyncProcessManager({
      store,
      readModel: this.readModel,
      commands: this.commands,
      clientForTeam: (teamId) => this.directory.forTeam(teamId)?.client ?? null,
      clock: () => new Date(),
      random: () => 0.5,
      policy: { ...sync, minPushIntervalMs: 0 },
      logger,
    });
    this.reconciler = this.newReconciler();
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
    await world.projection.caughtUp();
    await world.sync.start();
    return world;
  }

  /** Another reconciler on the same store, as after a restart of the server. */
  newReconciler(): Reconciler {
    return new Reconciler({
      store: this.store,
      readModel: this.readModel,
      commands: this.commands,
      directory: this.directory,
      settings: { intervalMinutes: 0, missesBeforeOrphan: 3, maxMissingShare: 0.5, ...this.options.settings },
      clock: () => new Date(),
      newId: randomUUID,
      logger,
      ...(this.options.timers ? { timers: this.options.timers } : {}),
    });
  }

  /**
   * The HTTP shell with the reconciliation routes, listening on a free port of 127.0.0.1, as
   * the composition root wires it; returns its base URL.
   */
  async listen(): Promise<string> {
    const clock = () => new Date();
    const services = new ServiceApplication(
      this.store,
      this.readModel,
      this.commands,
      this.directory,
      clock,
      randomUUID,
    );
    this.http = await buildHttpApp({
      logger,
      companies: this.companies,
      services,
      webhooks: new WebhookInbox(this.directory, this.readModel, this.commands, clock),
      readiness: async () => ({
        ready: true,
        store: { engine: this.store.engine, reachable: true },
        subscriptions: [],
      }),
      reconciler: this.reconciler,
    });
    return this.http.listen({ host: '127.0.0.1', port: 0 });
  }

  async close(): Promise<void> {
    await this.http?.close();
    await this.reconciler.stop();
    await this.sync.stop();
    await this.projection.stop();
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

  async execute(command: Parameters<ServiceCommandBus['execute']>[0]) {
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
    return statusView(this.service(serviceId), { paused: null });
  }

  /** Every service event in the store, in commit order. */
  async serviceEvents(): Promise<ServiceEvent[]> {
    const recorded = (
      await this.store.readAll({ streamPrefixes: ['service-'], maxCount: 1_000_000 })
    )._unsafeUnwrap();
    return recorded.map(fromRecorded);
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
