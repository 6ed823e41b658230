import { randomUUID } from 'node:crypto';
import type { TeamSyncContext } from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CalcomDirectory } from './calcom/calcom-directory.js';
import { TeamLeases } from './cluster/team-leases.js';
import { CommandBus } from './commands/command-bus.js';
import type { AppConfig } from './config/load-config.js';
import { ReadinessProbe } from './health/readiness-probe.js';
import { buildHttpApp } from './http/app.js';
import type { Readiness } from './http/routes/health-routes.js';
import { StatusProjection } from './projection/status-projection.js';
import type { TeamReadModel } from './projection/team-read-model.js';
import { Reconciler } from './reconciliation/reconciler.js';
import { ServiceApplication } from './services/service-application.js';
import { ServiceCommandBus } from './services/service-command-bus.js';
import type { ServiceReadModel } from './services/service-read-model.js';
import type { SyncPolicy } from './sync/service-pusher.js';
import { SyncProcessManager } from './sync/sync-process-manager.js';
import type { SyncTimers } from './sync/sync-timers.js';
import { TeamSyncCommands } from './sync/team-sync-commands.js';
import { WebhookInbox } from './webhooks/webhook-inbox.js';

export interface CalsyncOptions {
  config: AppConfig;
  store: EventStore;
  logger: Logger;
  clock?: () => Date;
  newId?: () => string;
  random?: () => number;
  /** Which Cal.com client and rate limiter each team has (default: from `config.companies`). */
  directory?: CalcomDirectory;
  /** On top of `config.sync`: the push interval and the calls in flight per team (docs/sync.md). */
  syncPolicy?: Partial<SyncPolicy>;
  /** Timers of the outbound sync's retries and push interval (default: Node's, unref'd). */
  syncTimers?: SyncTimers;
  /** Timers of the periodic reconciliation (default: Node's, unref'd). */
  reconciliationTimers?: SyncTimers;
  /** The status projection's snapshot every this many ms (default 30 s) or events (default 5,000). */
  snapshotEveryMs?: number;
  snapshotEveryEvents?: number;
}

/**
 * The composition root (docs/architecture.md): it only wires. One store; the status projection
 * (the one subscription, the only feeder of the read models); one command bus for every stream;
 * the use cases, the webhook inbox, the sync process manager, the reconciler and the HTTP shell,
 * started and stopped in order.
 */
export class Calsync {
  readonly store: EventStore;
  readonly projection: StatusProjection;
  /** The services' read model (written by the projection only). */
  readonly readModel: ServiceReadModel;
  /** The teams' read model: which teams are paused on refused credentials. */
  readonly teams: TeamReadModel;
  readonly bus: CommandBus;
  readonly commands: ServiceCommandBus;
  readonly teamSync: TeamSyncCommands;
  readonly directory: CalcomDirectory;
  readonly services: ServiceApplication;
  readonly webhooks: WebhookInbox;
  readonly sync: SyncProcessManager;
  readonly reconciler: Reconciler;
  /** Which teams this instance works for (docs/operations.md, "Several instances"). */
  readonly teamLeases: TeamLeases;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly random: () => number;
  private app: FastifyInstance | undefined;
  private readonly readinessProbe: ReadinessProbe;

  constructor(private readonly options: CalsyncOptions) {
    const { config } = options;
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.random = options.random ?? Math.random;
    this.projection = new StatusProjection({
      store: this.store,
      logger: this.logger.child({ component: 'status-projection' }),
      newId: this.newId,
      ...(options.snapshotEveryMs === undefined ? {} : { snapshotEveryMs: options.snapshotEveryMs }),
      ...(options.snapshotEveryEvents === undefined
        ? {}
        : { snapshotEveryEvents: options.snapshotEveryEvents }),
    });
    this.readModel = this.projection.services;
    this.teams = this.projection.teams;
    this.bus = new CommandBus(this.store, this.newId, this.logger.child({ component: 'commands' }));
    this.commands = new ServiceCommandBus(this.bus, this.projection.serviceStates);
    this.teamSync = new TeamSyncCommands(this.bus, this.projection.teamStates, this.clock);
    this.directory = options.directory ?? new CalcomDirectory(config.companies, config.sync);
    this.teamLeases = new TeamLeases(
      this.store.leases,
      this.directory.teams().map((access) => access.settings.teamId),
      config.cluster,
      this.logger.child({ component: 'cluster', instanceId: config.cluster.instanceId }),
      () => this.clock().getTime(),
    );
    this.sync = new SyncProcessManager({
      owns: (teamId) => this.teamLeases.owns(teamId),
      readModel: this.readModel,
      teams: this.teams,
      projection: this.projection,
      commands: this.commands,
      teamSync: this.teamSync,
      clientForTeam: (teamId) => this.directory.clientForTeam(teamId),
      clock: this.clock,
      random: this.random,
      policy: { ...config.sync, ...options.syncPolicy },
      logger: this.logger,
      newId: this.newId,
      ...(options.syncTimers ? { timers: options.syncTimers } : {}),
    });
    this.services = new ServiceApplication(
      this.store,
      this.readModel,
      this.commands,
      this.directory,
      this.clock,
      this.newId,
      {
        context: (teamId) => this.teamContext(teamId),
        resume: (teamId, actor) => this.teamSync.resume(teamId, actor),
      },
    );
    this.webhooks = new WebhookInbox(this.directory, this.readModel, this.commands, this.clock);
    this.reconciler = this.newReconciler();
    this.teamLeases.listen({
      taken: async (teamId) => {
        await this.sync.takeTeam(teamId);
        await this.reconciler.teamTaken(teamId);
      },
      handingOver: async (teamId) => {
        this.reconciler.teamReleased(teamId);
        await this.sync.handOverTeam(teamId);
      },
      lost: (teamId) => {
        this.reconciler.teamReleased(teamId);
        this.sync.dropTeam(teamId);
      },
    });
    this.readinessProbe = new ReadinessProbe(
      this.store,
      () => [{ name: 'status-projection', caughtUp: () => this.projection.caughtUp() }],
      config.readiness,
      () => this.clock().getTime(),
    );
  }

  /** What every status of a team's services says about the team: its pause (team read model) and its key's rate-limit wait. */
  teamContext(teamId: number): TeamSyncContext {
    return { ...this.teams.context(teamId), rateLimited: this.directory.rateLimitWait(teamId) };
  }

  /** A reconciler wired like the running one (the one in `reconciler`, or another after a restart). */
  newReconciler(): Reconciler {
    return new Reconciler({
      store: this.store,
      readModel: this.readModel,
      commands: this.commands,
      directory: this.directory,
      settings: this.config.reconciliation,
      clock: this.clock,
      newId: this.newId,
      logger: this.logger.child({ component: 'reconciliation' }),
      owns: (teamId) => this.teamLeases.owns(teamId),
      ...(this.options.reconciliationTimers ? { timers: this.options.reconciliationTimers } : {}),
    });
  }

  get config(): AppConfig {
    return this.options.config;
  }

  /** Catches the read models up with the store, then starts the HTTP shell (not listening yet) and the workers. */
  async start(): Promise<FastifyInstance> {
    await this.projection.start();
    this.app = await buildHttpApp({
      logger: this.logger,
      companies: this.config.companies,
      services: this.services,
      webhooks: this.webhooks,
      readiness: () => this.readiness(),
      reconciler: this.reconciler,
      newId: this.newId,
      http: this.config.http,
      consistency: {
        shared: this.store.leases.shared,
        caughtUp: () => this.projection.caughtUp(),
        reached: (position) => this.projection.reached(position),
      },
    });
    await this.app.ready();
    // Workers start once the read models are caught up: their states are what they scan.
    await this.sync.start();
    // This instance's share of the teams: their pending pushes and periodic runs start here.
    await this.teamLeases.start();
    this.readinessProbe.markCaughtUp();
    await this.reconciler.start();
    return this.app;
  }

  get http(): FastifyInstance {
    if (!this.app) throw new Error('Calsync.start() has not run');
    return this.app;
  }

  /** Readiness within `readiness.probeTimeoutMs`, computed without scanning (docs/operations.md). */
  readiness(): Promise<Readiness> {
    return this.readinessProbe.probe();
  }

  /**
   * Stops in order: HTTP (no new commands), reconciliation, the teams handed over (their calls in
   * flight drain first, so the next holder does not repeat them), the sync, the projection (last
   * snapshot).
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    await this.app?.close();
    await this.reconciler.stop();
    await this.teamLeases.stop();
    await this.sync.stop(options);
    await this.projection.stop();
  }

  /** Writes a durable checkpoint of the status projection when it handled events since the last. */
  snapshot(): Promise<void> {
    return this.projection.snapshot();
  }
}
