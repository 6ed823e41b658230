import { randomUUID } from 'node:crypto';
import type { CalcomClient } from '@calsync/calcom';
import {
  type Actor,
  nextPush,
  SERVICE_STREAM_PREFIX,
  type TeamRateLimitWait,
  type TeamSyncContext,
} from '@calsync/domain';
import type { EventStore, RecordedEvent, Subscription } from '@calsync/eventstore';
import type { Result } from 'neverthrow';
import type { Logger } from 'pino';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';
import { ServicePusher, type SyncPolicy } from './service-pusher.js';
import { SyncScheduler } from './sync-scheduler.js';
import { realTimers, type SyncTimers } from './sync-timers.js';
import { TEAM_STREAM_PREFIX, teamIdOfStream } from './team-sync-events.js';
import { TeamSyncPauses, type TeamSyncStoreError } from './team-sync-pauses.js';

export { DEFAULT_MIN_PUSH_INTERVAL_MS, type SyncPolicy } from './service-pusher.js';

export const SYNC_CHECKPOINT = 'sync-process-manager';

export const DEFAULT_CONCURRENCY_PER_TEAM = 4;

export interface SyncProcessManagerDeps {
  store: EventStore;
  readModel: ServiceReadModel;
  commands: ServiceCommandBus;
  /** The client of a team's API key, or null when the team has no Cal.com credentials configured. */
  clientForTeam: (teamId: number) => CalcomClient | null;
  clock: () => Date;
  /** In [0, 1): the jitter of retry delays. */
  random: () => number;
  policy: SyncPolicy;
  logger: Logger;
  newId?: () => string;
  timers?: SyncTimers;
  /** Whether a team's API key is held after a 429 (its limiter's pause); none when not given. */
  rateLimitWait?: (teamId: number) => TeamRateLimitWait | null;
}

/**
 * The outbound sync process manager (docs/sync.md). Every SyncRequested without an outcome is pushed
 * to Cal.com and its outcome recorded on the service's stream; retry times live in the SyncFailed
 * events, so a restart picks up exactly where the last process stopped.
 */
export class SyncProcessManager {
  private readonly pauses: TeamSyncPauses;
  private readonly scheduler: SyncScheduler;
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly pusher: ServicePusher;
  private subscription: Subscription | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly deps: SyncProcessManagerDeps) {
    this.logger = deps.logger.child({ component: 'sync' });
    this.newId = deps.newId ?? randomUUID;
    this.pauses = new TeamSyncPauses(deps.store, this.newId);
    this.pusher = new ServicePusher({
      ...deps,
      logger: this.logger,
      newId: this.newId,
      pauses: this.pauses,
      pokeTeam: (teamId) => this.pokeTeam(teamId),
      abandoned: () => this.state === 'stopped',
    });
    this.scheduler = new SyncScheduler({
      concurrencyPerLane: deps.policy.concurrencyPerTeam ?? DEFAULT_CONCURRENCY_PER_TEAM,
      timers: deps.timers ?? realTimers,
      now: () => deps.clock().getTime(),
      readiness: (serviceId) => this.pusher.readiness(serviceId),
      push: (serviceId) => this.pusher.push(serviceId),
    });
  }

  /**
   * Schedules every request that has no outcome yet, then follows new ones. Call it once the read
   * model has caught up with the store: its states are what is scanned.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('SyncProcessManager.start() runs once');
    this.state = 'running';
    await this.pauses.load();
    let pending = 0;
    for (const state of this.deps.readModel.all()) {
      if (nextPush(state) === null) continue;
      pending++;
      this.scheduler.poke(state.serviceId);
    }
    this.logger.info({ pending }, 'sync process manager started');
    this.subscription = this.deps.store.subscribe({
      checkpointName: SYNC_CHECKPOINT,
      streamPrefixes: [SERVICE_STREAM_PREFIX, TEAM_STREAM_PREFIX],
      handler: (event) => this.handle(event),
      onError: (error) => this.logger.error({ err: error }, 'sync subscription failed'),
    });
  }

  /**
   * Stops taking work, waits up to `drainMs` for calls in flight, then abandons them: their
   * requests have no outcome yet, so the next start pushes them again (absolute values, idempotent).
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    await this.subscription?.stop();
    const abandoned = await this.scheduler.stop(options.drainMs ?? 5000);
    this.state = 'stopped';
    if (abandoned.length > 0) {
      this.logger.warn({ abandoned }, 'stopped with calls in flight; they are pushed again after restart');
    }
  }

  /**
   * Resolves when every request seen so far is done, held, or waiting for a recorded retry time;
   * a burst held back for the push interval is waited for (for tests and benchmarks: an explicit
   * "caught up").
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.state !== 'running') return;
      await this.subscription?.caughtUp();
      if (this.scheduler.isQuiet() && this.scheduler.coalescingCount() === 0) return;
      await (this.scheduler.isQuiet() ? this.scheduler.nextWake() : this.scheduler.quiet());
    }
  }

  /**
   * Resolves when every request seen so far has its final outcome or is held: like `idle()`, but
   * also waits out retry times and the coalescing interval (real time; for end-to-end tests).
   */
  async settled(): Promise<void> {
    for (;;) {
      await this.idle();
      if (this.state !== 'running' || this.scheduler.scheduledCount() === 0) return;
      await this.scheduler.nextWake();
    }
  }

  /** Resolves once the process manager has seen every event committed before the call (readiness). */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  /** What every status of the team's services must say (pass it to statusView). */
  teamContext(teamId: number): TeamSyncContext {
    return { ...this.pauses.context(teamId), rateLimited: this.deps.rateLimitWait?.(teamId) ?? null };
  }

  /**
   * An admin says the team's credentials are fixed: the team's services are pushed again. ok(false)
   * when the team was not paused. Call it before resetting a service of a paused team.
   */
  async resumeTeam(teamId: number, actor: Actor): Promise<Result<boolean, TeamSyncStoreError>> {
    const resumed = await this.pauses.resume(teamId, actor, this.deps.clock().toISOString());
    if (resumed.isOk() && resumed.value) {
      this.logger.info({ teamId, actor }, 'team sync resumed');
      this.pokeTeam(teamId);
    }
    return resumed;
  }

  private async handle(recorded: RecordedEvent): Promise<void> {
    try {
      if (recorded.streamName.startsWith(SERVICE_STREAM_PREFIX)) {
        // Make sure the state we decide on includes this event, whichever subscription runs first.
        await this.deps.readModel.handle(recorded);
        this.scheduler.poke(recorded.streamName.slice(SERVICE_STREAM_PREFIX.length));
        return;
      }
      const changed = this.pauses.apply(recorded);
      const teamId = teamIdOfStream(recorded.streamName);
      if (changed && teamId !== null && !this.pauses.isPaused(teamId)) this.pokeTeam(teamId);
    } catch (error) {
      // A bad event must not stop the sync of every other service.
      this.logger.error(
        { err: error, stream: recorded.streamName, type: recorded.type },
        'sync could not read event',
      );
    }
  }

  private pokeTeam(teamId: number): void {
    for (const state of this.deps.readModel.all()) {
      if (nextPush(state)?.teamId === teamId) this.scheduler.poke(state.serviceId);
    }
  }
}
