import { randomUUID } from 'node:crypto';
import type { CalcomClient } from '@calsync/calcom';
import { nextPush } from '@calsync/domain';
import type { Logger } from 'pino';
import type { StatusProjection } from '../projection/status-projection.js';
import type { TeamReads } from '../projection/team-read-model.js';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReads } from '../services/service-read-model.js';
import { ServicePusher, type SyncPolicy } from './service-pusher.js';
import { SyncScheduler } from './sync-scheduler.js';
import { realTimers, type SyncTimers } from './sync-timers.js';
import type { TeamSyncCommands } from './team-sync-commands.js';

export { DEFAULT_MIN_PUSH_INTERVAL_MS, type SyncPolicy } from './service-pusher.js';

export const DEFAULT_CONCURRENCY_PER_TEAM = 4;

export interface SyncProcessManagerDeps {
  readModel: ServiceReads;
  teams: TeamReads;
  /** The status projection: each change it applies pokes the manager (no subscription of its own). */
  projection: Pick<StatusProjection, 'onServiceChanged' | 'onTeamChanged' | 'caughtUp'>;
  commands: ServiceCommandBus;
  teamSync: Pick<TeamSyncCommands, 'pause'>;
  /** The client of a team's API key, or null when the team has no Cal.com credentials configured. */
  clientForTeam: (teamId: number) => CalcomClient | null;
  clock: () => Date;
  /** In [0, 1): the jitter of retry delays. */
  random: () => number;
  policy: SyncPolicy;
  logger: Logger;
  newId?: () => string;
  timers?: SyncTimers;
  /** Whether this instance works for the team now (its lease, docs/operations.md); default: every team. */
  owns?: (teamId: number) => boolean;
}

/** How long a team handed over to another instance waits for its calls in flight. */
export const HAND_OVER_DRAIN_MS = 5_000;

/**
 * The outbound sync process manager (docs/sync.md). Every SyncRequested without an outcome is pushed
 * to Cal.com and its outcome recorded on the service's stream; retry times live in the SyncFailed
 * events, so a restart picks up exactly where the last process stopped. It reads no events itself:
 * the status projection tells it which service (or team) changed.
 */
export class SyncProcessManager {
  private readonly scheduler: SyncScheduler;
  private readonly logger: Logger;
  private readonly pusher: ServicePusher;
  private unlisten: Array<() => void> = [];
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly deps: SyncProcessManagerDeps) {
    this.logger = deps.logger.child({ component: 'sync' });
    this.pusher = new ServicePusher({
      ...deps,
      logger: this.logger,
      newId: deps.newId ?? randomUUID,
      pokeTeam: (teamId) => this.pokeTeam(teamId),
      abandoned: () => this.state === 'stopped',
      owns: deps.owns ?? (() => true),
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
   * Schedules every request that has no outcome yet, then follows the projection's changes. Call it
   * once the projection has caught up with the store: its states are what is scanned.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('SyncProcessManager.start() runs once');
    this.state = 'running';
    this.unlisten = [
      this.deps.projection.onServiceChanged((serviceId) => this.scheduler.poke(serviceId)),
      // A team whose pause was lifted: its held services are pushed again.
      this.deps.projection.onTeamChanged((teamId) => {
        if (!this.deps.teams.isPaused(teamId)) this.pokeTeam(teamId);
      }),
    ];
    let pending = 0;
    for (const state of this.deps.readModel.all()) {
      if (nextPush(state) === null) continue;
      pending++;
      this.scheduler.poke(state.serviceId);
    }
    this.logger.info({ pending }, 'sync process manager started');
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
    for (const unlisten of this.unlisten.splice(0)) unlisten();
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
      await this.deps.projection.caughtUp();
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

  /**
   * This instance now works for the team: once the projection holds everything the previous
   * holder recorded (so nothing it finished is pushed again), its pending requests are scheduled.
   */
  async takeTeam(teamId: number): Promise<void> {
    await this.deps.projection.caughtUp();
    this.pokeTeam(teamId);
  }

  /**
   * The team goes to another instance (its readiness already says none here): waits for its calls
   * in flight to record their outcomes, so that the next holder does not push them again.
   */
  async handOverTeam(teamId: number, drainMs = HAND_OVER_DRAIN_MS): Promise<void> {
    if (this.state !== 'running') return;
    const unfinished = await this.scheduler.drainLane(teamId, drainMs);
    if (unfinished.length > 0)
      this.logger.warn(
        { teamId, unfinished },
        'handed a team over with calls in flight; its next holder pushes them again',
      );
  }

  /** The team's lease was lost: nothing more is dispatched for it (calls in flight cannot be recalled). */
  dropTeam(teamId: number): void {
    this.pokeTeam(teamId);
  }

  private pokeTeam(teamId: number): void {
    for (const state of this.deps.readModel.all()) {
      if (nextPush(state)?.teamId === teamId) this.scheduler.poke(state.serviceId);
    }
  }
}
