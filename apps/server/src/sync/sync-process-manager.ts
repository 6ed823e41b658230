import { randomUUID } from 'node:crypto';
import type { CalcomClient } from '@calsync/calcom';
import {
  type Actor,
  nextPush,
  type PushPlan,
  type RetryPolicy,
  SERVICE_STREAM_PREFIX,
  type ServiceCommand,
  type TeamSyncContext,
} from '@calsync/domain';
import type { EventStore, RecordedEvent, Subscription } from '@calsync/eventstore';
import type { Result } from 'neverthrow';
import type { Logger } from 'pino';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';
import { callCalcom } from './push-call.js';
import { pushVerdict } from './push-verdict.js';
import { type Readiness, SyncScheduler } from './sync-scheduler.js';
import { realTimers, type SyncTimers } from './sync-timers.js';
import { TEAM_STREAM_PREFIX } from './team-sync-events.js';
import { TeamSyncPauses, type TeamSyncStoreError } from './team-sync-pauses.js';

export const SYNC_CHECKPOINT = 'sync-process-manager';

export interface SyncPolicy extends RetryPolicy {
  /**
   * A service is pushed at most once per this many ms. The first push of a quiet service leaves
   * at once; a burst of edits waits out the interval and then pushes only its latest values.
   */
  minPushIntervalMs?: number;
  /** Calls in flight at once per Cal.com team; the key's rate limiter paces them further. */
  concurrencyPerTeam?: number;
}

export const DEFAULT_MIN_PUSH_INTERVAL_MS = 1000;
export const DEFAULT_CONCURRENCY_PER_TEAM = 4;
/** After the store refused to record an outcome, look at the service again this much later. */
const STORE_RETRY_MS = 1000;

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
}

/**
 * The outbound sync process manager (SPEC §6). Every SyncRequested without an outcome is pushed
 * to Cal.com and its outcome recorded on the service's stream; retry times live in the SyncFailed
 * events, so a restart picks up exactly where the last process stopped.
 */
export class SyncProcessManager {
  private readonly pauses: TeamSyncPauses;
  private readonly scheduler: SyncScheduler;
  private readonly logger: Logger;
  private readonly newId: () => string;
  /** When each service's last push left (this process only): the coalescing interval. */
  private readonly lastPushAt = new Map<string, number>();
  /** Services whose outcome could not be recorded: not looked at again before this time. */
  private readonly storeBackoff = new Map<string, number>();
  /** Teams whose pause is being recorded: nothing more is sent meanwhile. */
  private readonly pausing = new Set<number>();
  private subscription: Subscription | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly deps: SyncProcessManagerDeps) {
    this.logger = deps.logger.child({ component: 'sync' });
    this.newId = deps.newId ?? randomUUID;
    this.pauses = new TeamSyncPauses(deps.store, this.newId);
    this.scheduler = new SyncScheduler({
      concurrencyPerLane: deps.policy.concurrencyPerTeam ?? DEFAULT_CONCURRENCY_PER_TEAM,
      timers: deps.timers ?? realTimers,
      now: () => deps.clock().getTime(),
      readiness: (serviceId) => this.readiness(serviceId),
      push: (serviceId) => this.push(serviceId),
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

  /** What every status of the team's services must say (pass it to statusView). */
  teamContext(teamId: number): TeamSyncContext {
    return this.pauses.context(teamId);
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
      const teamId = Number(recorded.streamName.slice(TEAM_STREAM_PREFIX.length));
      if (changed && !this.pauses.isPaused(teamId)) this.pokeTeam(teamId);
    } catch (error) {
      // A bad event must not stop the sync of every other service.
      this.logger.error(
        { err: error, stream: recorded.streamName, type: recorded.type },
        'sync could not read event',
      );
    }
  }

  private isHeld(teamId: number): boolean {
    return this.pausing.has(teamId) || this.pauses.isPaused(teamId);
  }

  private pokeTeam(teamId: number): void {
    for (const state of this.deps.readModel.all()) {
      if (nextPush(state)?.teamId === teamId) this.scheduler.poke(state.serviceId);
    }
  }

  private readiness(serviceId: string): Readiness {
    const state = this.deps.readModel.get(serviceId);
    const plan = state ? nextPush(state) : null;
    if (!plan || this.isHeld(plan.teamId)) return { kind: 'none' };
    const interval = this.deps.policy.minPushIntervalMs ?? DEFAULT_MIN_PUSH_INTERVAL_MS;
    const retryAt = Math.max(
      plan.notBefore === null ? 0 : Date.parse(plan.notBefore),
      this.storeBackoff.get(serviceId) ?? 0,
    );
    const coalesceUntil = (this.lastPushAt.get(serviceId) ?? Number.NEGATIVE_INFINITY) + interval;
    const now = this.deps.clock().getTime();
    if (retryAt > now && retryAt >= coalesceUntil) return { kind: 'wait', untilMs: retryAt, reason: 'retry' };
    if (coalesceUntil > now) return { kind: 'wait', untilMs: coalesceUntil, reason: 'coalesce' };
    return { kind: 'ready', lane: plan.teamId };
  }

  /** One push of a service's current plan, and the recording of its outcome. Never rejects. */
  private async push(serviceId: string): Promise<void> {
    const state = this.deps.readModel.get(serviceId);
    const plan = state ? nextPush(state) : null;
    if (!state || !plan) return;
    const log = this.logger.child({ serviceId, syncId: plan.syncId, teamId: plan.teamId });
    try {
      const started = this.deps.clock();
      this.lastPushAt.set(serviceId, started.getTime());
      const client = this.deps.clientForTeam(plan.teamId);
      if (!client) {
        await this.record(log, {
          type: 'RecordSyncFailed',
          serviceId,
          companyId: state.companyId,
          actor: 'system:sync',
          at: started.toISOString(),
          syncId: plan.syncId,
          kind: 'unauthorized',
          httpStatus: null,
          message: `No Cal.com API key is configured for team ${plan.teamId}. Add it to CALSYNC_CONFIG, restart, then reset the sync status.`,
          retryAt: null,
        });
        return;
      }
      log.debug({ operation: plan.operation, attempt: plan.attempt }, 'pushing to Cal.com');
      const result = await callCalcom(client, plan);
      if (this.state === 'stopped') return; // abandoned: the request stays without outcome
      const now = this.deps.clock();
      const verdict = pushVerdict(plan, result, {
        serviceId,
        companyId: state.companyId,
        now,
        durationMs: Math.max(0, now.getTime() - started.getTime()),
        policy: this.deps.policy,
        jitter: this.deps.random(),
      });
      if (verdict.pausesTeam) {
        await this.pauseTeam(log, plan, verdict.command);
        return;
      }
      const recorded = await this.record(log, verdict.command);
      if (recorded && verdict.needsFollowUpPush) {
        await this.record(log, {
          type: 'RequestSync',
          serviceId,
          companyId: state.companyId,
          actor: 'system:sync',
          at: now.toISOString(),
          syncId: this.newId(),
          trigger: 'manual',
        });
      }
    } catch (error) {
      // A bug, not an expected failure: keep the process manager alive for the other services.
      log.error({ err: error }, 'push failed unexpectedly');
      this.backOff(serviceId);
    }
  }

  /**
   * 401/403: one clear team-level fact instead of an error on every service. The service that hit
   * it records a final failure (an admin resets it once the key is fixed); services whose calls
   * were in flight at the same time keep their requests, held until the team resumes.
   */
  private async pauseTeam(log: Logger, plan: PushPlan, failure: ServiceCommand): Promise<void> {
    if (this.isHeld(plan.teamId)) return;
    if (failure.type !== 'RecordSyncFailed') throw new Error('a team pause records a failure');
    this.pausing.add(plan.teamId);
    try {
      // Record the service's failure first: a crash before the pause then leaves a service an
      // admin can reset, never a paused team with nothing to reset.
      if (!(await this.record(log, failure))) return;
      const paused = await this.pauses.pause(plan.teamId, {
        at: failure.at,
        serviceId: failure.serviceId,
        httpStatus: failure.httpStatus,
        message: failure.message,
      });
      if (paused.isErr()) log.error({ error: paused.error }, 'could not record the team pause');
      else log.warn({ httpStatus: failure.httpStatus, message: failure.message }, 'team sync paused');
    } finally {
      this.pausing.delete(plan.teamId);
      // Held services of the team wait for the resume; if the pause was not recorded, go on.
      if (!this.pauses.isPaused(plan.teamId)) this.pokeTeam(plan.teamId);
    }
  }

  private async record(log: Logger, command: ServiceCommand): Promise<boolean> {
    const result = await this.deps.commands.execute(command);
    if (result.isOk()) {
      this.storeBackoff.delete(command.serviceId);
      if (command.type === 'RecordSyncFailed') {
        const { kind, httpStatus, message, retryAt } = command;
        log.warn({ kind, httpStatus, message, retryAt }, 'push failed');
      } else if (command.type === 'RecordSyncSucceeded') {
        log.info({ eventTypeId: command.eventTypeId, durationMs: command.durationMs }, 'pushed to Cal.com');
      }
      return true;
    }
    log.error({ error: result.error, command: command.type }, 'could not record the outcome of a push');
    this.backOff(command.serviceId);
    return false;
  }

  private backOff(serviceId: string): void {
    this.storeBackoff.set(serviceId, this.deps.clock().getTime() + STORE_RETRY_MS);
  }
}
