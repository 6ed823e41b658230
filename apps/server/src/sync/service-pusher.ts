import { type CalcomClient, type CalcomError, clampTimerDelay } from '@calsync/calcom';
import {
  nextPush,
  type PushPlan,
  type RetryPolicy,
  retryDelayMs,
  type ServiceCommand,
} from '@calsync/domain';
import type { Logger } from 'pino';
import { callCalcom } from '../calcom/calcom-translation.js';
import type { TeamReads } from '../projection/team-read-model.js';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReads } from '../services/service-read-model.js';
import { pushVerdict } from './push-verdict.js';
import type { Readiness } from './sync-scheduler.js';
import type { TeamSyncCommands } from './team-sync-commands.js';

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
/** After the store refused to record an outcome, look at the service again this much later. */
const STORE_RETRY_MS = 1000;
/** Retry delay of an attempt that threw, when the policy itself cannot say. */
const UNEXPECTED_RETRY_MS = 60_000;

export interface ServicePusherDeps {
  readModel: ServiceReads;
  commands: ServiceCommandBus;
  clientForTeam: (teamId: number) => CalcomClient | null;
  clock: () => Date;
  random: () => number;
  policy: SyncPolicy;
  logger: Logger;
  newId: () => string;
  /** The teams' read model: whether a team is paused on refused credentials. */
  teams: TeamReads;
  teamSync: Pick<TeamSyncCommands, 'pause'>;
  /** Look again at every service of the team (its pause was not recorded after all). */
  pokeTeam: (teamId: number) => void;
  /** True once shutdown gave up waiting: outcomes that arrive later are not recorded. */
  abandoned: () => boolean;
  /** Whether this instance works for the team now (it holds the team's lease, docs/operations.md). */
  owns: (teamId: number) => boolean;
}

/**
 * Pushes one service's current plan to Cal.com and records the outcome on its stream; knows
 * when a service may be pushed next (recorded retry time, push interval, paused team).
 */
export class ServicePusher {
  /** When each service's last push left (this process only): the coalescing interval. */
  private readonly lastPushAt = new Map<string, number>();
  /** Services whose outcome could not be recorded: not looked at again before this time. */
  private readonly storeBackoff = new Map<string, number>();
  /** Teams whose pause is being recorded: nothing more is sent meanwhile. */
  private readonly pausing = new Set<number>();
  /** Syncs whose current attempt has a recorded outcome (so an exception after it records nothing more). */
  private readonly settled = new Set<string>();

  constructor(private readonly deps: ServicePusherDeps) {}

  /** Whether the team's pushes are held (paused on credentials, or being paused). */
  isHeld(teamId: number): boolean {
    return this.pausing.has(teamId) || this.deps.teams.isPaused(teamId);
  }

  /** What the service needs now: nothing, a wait (retry time or push interval), or a push. */
  readiness(serviceId: string): Readiness {
    const state = this.deps.readModel.get(serviceId);
    const plan = state ? nextPush(state) : null;
    if (!plan || this.isHeld(plan.teamId) || !this.deps.owns(plan.teamId)) return { kind: 'none' };
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

  /**
   * One push of a service's current plan, and the recording of its outcome. Never rejects, and every
   * attempt ends in a recorded SyncSucceeded or SyncFailed: an exception anywhere in the attempt (the
   * call, its classification, the retry time) is recorded as a transient failure, retried with backoff.
   */
  async push(serviceId: string): Promise<void> {
    let state: ReturnType<ServiceReads['get']>;
    let plan: PushPlan | null;
    try {
      state = this.deps.readModel.get(serviceId);
      plan = state ? nextPush(state) : null;
    } catch (error) {
      this.deps.logger.error({ err: error, serviceId }, 'could not read the service to push it');
      this.backOff(serviceId);
      return;
    }
    if (!state || !plan) return;
    const log = this.deps.logger.child({ serviceId, syncId: plan.syncId, teamId: plan.teamId });
    this.settled.delete(plan.syncId);
    try {
      await this.attempt(log, serviceId, state.companyId, plan);
    } catch (error) {
      // A bug, not an expected failure: record it (the service shows the error, not plain pending)
      // and keep the process manager alive for the other services.
      log.error({ err: error }, 'push failed unexpectedly');
      if (!this.settled.has(plan.syncId) && !this.deps.abandoned()) {
        await this.recordUnexpected(log, serviceId, state.companyId, plan);
      } else this.backOff(serviceId);
    } finally {
      this.settled.delete(plan.syncId);
    }
  }

  private async attempt(log: Logger, serviceId: string, companyId: string, plan: PushPlan): Promise<void> {
    const started = this.deps.clock();
    this.lastPushAt.set(serviceId, started.getTime());
    const client = this.deps.clientForTeam(plan.teamId);
    if (!client) {
      await this.record(log, {
        type: 'RecordSyncFailed',
        serviceId,
        companyId,
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
    if (this.deps.abandoned()) return; // the request stays without outcome: pushed after restart
    if (result.isErr()) this.reportRateLimitWait(log, result.error);
    const now = this.deps.clock();
    const verdict = pushVerdict(plan, result, {
      serviceId,
      companyId,
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
        companyId,
        actor: 'system:sync',
        at: now.toISOString(),
        syncId: this.deps.newId(),
        trigger: 'manual',
      });
    }
  }

  /** A 429 whose reset was capped or unreadable is worth a warning: the operator sees what Cal.com sent. */
  private reportRateLimitWait(log: Logger, error: CalcomError): void {
    const wait = error.rateLimitWait;
    if (!wait) return;
    if (wait.capped) {
      log.warn(
        {
          configKey: 'sync.maxRateLimitResetMs',
          advertisedResetMs: wait.advertisedMs,
          appliedResetMs: wait.waitMs,
          maxRateLimitResetMs: wait.maxResetMs,
        },
        'Cal.com advertised a rate-limit reset beyond sync.maxRateLimitResetMs; the wait was capped',
      );
    } else if (wait.fallback && wait.ignored.length > 0) {
      log.warn(
        { ignoredHeaders: wait.ignored, appliedResetMs: wait.waitMs },
        'Cal.com sent an unreadable rate-limit reset; the rate-limit window was assumed',
      );
    }
  }

  /** The outcome of an attempt that threw: a transient failure, retried with the policy's backoff. */
  private async recordUnexpected(
    log: Logger,
    serviceId: string,
    companyId: string,
    plan: PushPlan,
  ): Promise<void> {
    const now = this.safeNow();
    let delay: number | null;
    try {
      delay = retryDelayMs('transient', plan.attempt, this.deps.policy, this.safeJitter());
    } catch {
      delay = UNEXPECTED_RETRY_MS;
    }
    const retryAt =
      delay === null ? null : new Date(now + clampTimerDelay(delay, UNEXPECTED_RETRY_MS)).toISOString();
    try {
      await this.record(log, {
        type: 'RecordSyncFailed',
        serviceId,
        companyId,
        actor: 'system:sync',
        at: new Date(now).toISOString(),
        syncId: plan.syncId,
        kind: 'transient',
        httpStatus: null,
        message: `calsync failed internally while pushing (logged with syncId ${plan.syncId})${retryAt === null ? `; gave up after ${plan.attempt} attempt${plan.attempt === 1 ? '' : 's'}` : '; it is retried'}.`,
        retryAt,
      });
    } catch (error) {
      log.error({ err: error }, 'could not record the unexpected failure of a push');
      this.backOff(serviceId);
    }
  }

  private safeNow(): number {
    try {
      const at = this.deps.clock().getTime();
      if (Number.isFinite(at)) return at;
    } catch {
      // A clock that throws is a bug of its own; the wall clock still dates the failure.
    }
    return Date.now();
  }

  private safeJitter(): number {
    try {
      const jitter = this.deps.random();
      return Number.isFinite(jitter) ? jitter : 0.5;
    } catch {
      return 0.5;
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
      const paused = await this.deps.teamSync.pause(plan.teamId, {
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
      if (!this.deps.teams.isPaused(plan.teamId)) this.deps.pokeTeam(plan.teamId);
    }
  }

  private async record(log: Logger, command: ServiceCommand): Promise<boolean> {
    const result = await this.deps.commands.execute(command);
    if (result.isOk()) {
      this.storeBackoff.delete(command.serviceId);
      if (command.type === 'RecordSyncFailed' || command.type === 'RecordSyncSucceeded') {
        this.settled.add(command.syncId);
      }
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
    this.storeBackoff.set(serviceId, this.safeNow() + STORE_RETRY_MS);
  }
}
