import { randomUUID } from 'node:crypto';
import type { EventStore, Subscription } from '@calsync/eventstore';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CalcomDirectory } from './calcom/calcom-directory.js';
import type { AppConfig } from './config/load-config.js';
import { ReadinessProbe } from './health/readiness-probe.js';
import { buildHttpApp } from './http/app.js';
import type { Readiness } from './http/routes/health-routes.js';
import { Reconciler } from './reconciliation/reconciler.js';
import { ServiceApplication } from './services/service-application.js';
import { ServiceCommandBus } from './services/service-command-bus.js';
import { ServiceReadModel } from './services/service-read-model.js';
import { loadStatusSnapshot, saveStatusSnapshot } from './services/status-snapshots.js';
import { SyncProcessManager } from './sync/sync-process-manager.js';
import { WebhookInbox } from './webhooks/webhook-inbox.js';

/** How often the status projection's durable checkpoint is written. */
const SNAPSHOT_EVERY_MS = 30_000;
const SNAPSHOT_EVERY_EVENTS = 5_000;

export interface CalsyncOptions {
  config: AppConfig;
  store: EventStore;
  logger: Logger;
  clock?: () => Date;
  newId?: () => string;
  random?: () => number;
  directory?: CalcomDirectory;
}

/**
 * The composition root: one store, the status read model fed by a subscription, the command
 * bus, the use cases, the webhook inbox and the HTTP shell, started and stopped in order.
 */
export class Calsync {
  readonly store: EventStore;
  readonly readModel: ServiceReadModel;
  readonly commands: ServiceCommandBus;
  readonly directory: CalcomDirectory;
  readonly services: ServiceApplication;
  readonly webhooks: WebhookInbox;
  readonly sync: SyncProcessManager;
  readonly reconciler: Reconciler;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly random: () => number;
  private subscription: Subscription | undefined;
  private handledSinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private app: FastifyInstance | undefined;
  private readonly readinessProbe: ReadinessProbe;

  constructor(private readonly options: CalsyncOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.random = options.random ?? Math.random;
    this.readModel = new ServiceReadModel(this.store);
    this.commands = new ServiceCommandBus(
      this.store,
      this.readModel,
      this.newId,
      this.logger.child({ component: 'commands' }),
    );
    this.directory = options.directory ?? new CalcomDirectory(options.config.companies, options.config.sync);
    const { config } = options;
    this.sync = new SyncProcessManager({
      store: this.store,
      readModel: this.readModel,
      commands: this.commands,
      clientForTeam: (teamId) => this.directory.clientForTeam(teamId),
      rateLimitWait: (teamId) => this.directory.rateLimitWait(teamId),
      clock: this.clock,
      random: this.random,
      policy: config.sync,
      logger: this.logger,
      newId: this.newId,
    });
    this.services = new ServiceApplication(
      this.store,
      this.readModel,
      this.commands,
      this.directory,
      this.clock,
      this.newId,
      {
        context: (teamId) => this.sync.teamContext(teamId),
        resume: (teamId, actor) => this.sync.resumeTeam(teamId, actor),
      },
    );
    this.webhooks = new WebhookInbox(this.directory, this.readModel, this.commands, this.clock);
    this.reconciler = new Reconciler({
      store: this.store,
      readModel: this.readModel,
      commands: this.commands,
      directory: this.directory,
      settings: config.reconciliation,
      clock: this.clock,
      newId: this.newId,
      logger: this.logger.child({ component: 'reconciliation' }),
    });
    this.readinessProbe = new ReadinessProbe(
      this.store,
      () => [
        { name: 'status-projection', caughtUp: () => this.subscription?.caughtUp() ?? Promise.resolve() },
        { name: 'sync-process-manager', caughtUp: () => this.sync.caughtUp() },
      ],
      config.readiness,
      () => this.clock().getTime(),
    );
  }

  get config(): AppConfig {
    return this.options.config;
  }

  /** Catches the read model up with the store, then starts the HTTP shell (not listening yet). */
  async start(): Promise<FastifyInstance> {
    const snapshot = await loadStatusSnapshot(this.store);
    if (snapshot) this.readModel.restore(snapshot.states);
    this.subscription = this.store.subscribe({
      streamPrefixes: ['service-'],
      ...(snapshot ? { after: snapshot.position } : {}),
      handler: async (event) => {
        await this.readModel.handle(event);
        if (++this.handledSinceSnapshot >= SNAPSHOT_EVERY_EVENTS) void this.snapshot();
      },
      onError: (error) => this.logger.error({ err: error }, 'status projection stopped'),
    });
    await this.subscription.caughtUp();
    this.logger.info(
      { services: this.readModel.size, fromSnapshot: Boolean(snapshot), replayed: this.handledSinceSnapshot },
      'status projection caught up',
    );
    this.snapshotTimer = setInterval(() => void this.snapshot(), SNAPSHOT_EVERY_MS);
    this.snapshotTimer.unref();
    this.app = await buildHttpApp({
      logger: this.logger,
      companies: this.config.companies,
      services: this.services,
      webhooks: this.webhooks,
      readiness: () => this.readiness(),
      reconciler: this.reconciler,
      newId: this.newId,
      http: this.config.http,
    });
    await this.app.ready();
    // Workers start once the read model is caught up: its states are what they scan.
    await this.sync.start();
    this.readinessProbe.markCaughtUp();
    this.reconciler.start();
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

  /** Stops in order: HTTP (no new commands), workers (drain in-flight syncs), projection. */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    await this.app?.close();
    await this.reconciler.stop();
    await this.sync.stop(options);
    clearInterval(this.snapshotTimer);
    await this.subscription?.stop();
    await this.snapshot();
  }

  /** Writes a durable checkpoint of the status projection when it handled events since the last. */
  snapshot(): Promise<void> {
    this.snapshotting ??= this.writeSnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  private async writeSnapshot(): Promise<void> {
    const position = this.subscription?.lastPosition;
    if (!position || this.handledSinceSnapshot === 0) return;
    const handled = this.handledSinceSnapshot;
    try {
      await saveStatusSnapshot(this.store, this.newId(), { position, states: this.readModel.all() });
      this.handledSinceSnapshot -= handled;
    } catch (error) {
      this.logger.warn(
        { err: error },
        'status projection checkpoint not written; the next start replays more',
      );
    }
  }
}
