import {
  type Actor,
  type ReconciliationMode,
  type ReconciliationSettings,
  SCHEMA_VERSION,
  type ServiceState,
} from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import type { Logger } from 'pino';
import type { CalcomDirectory, CompanyCalcomAccess } from '../calcom/calcom-directory.js';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';
import { realTimers, type SyncTimers } from '../sync/sync-timers.js';
import {
  type ImportCandidate,
  type ImportError,
  importCandidate,
  listImportCandidates,
} from './calcom-import.js';
import {
  calcomNotConfigured,
  type ReconciliationError,
  runNotFound,
  storeUnavailable,
} from './reconciliation-errors.js';
import { performRun, type RunEnd } from './reconciliation-run.js';
import { foldRunEvent, type RunView, readRunEvents, recordRunEvent, runViewOf } from './run-journal.js';

export interface ReconcilerDeps {
  store: EventStore;
  readModel: ServiceReadModel;
  commands: ServiceCommandBus;
  directory: Pick<CalcomDirectory, 'forCompany' | 'teams'>;
  /** `intervalMinutes` (0: no periodic runs), `missesBeforeOrphan`, `maxMissingShare`. */
  settings: ReconciliationSettings & { intervalMinutes: number };
  clock: () => Date;
  newId: () => string;
  logger: Logger;
  /** Defaults to Node's (unref'd) timers; tests move time on by hand. */
  timers?: SyncTimers;
  /** Whether this instance works for the team (its lease, docs/operations.md); default: every team. */
  owns?: (teamId: number) => boolean;
}

/** The actor of periodic runs: their times set when the next one is due. */
const PERIODIC_ACTOR = 'calcom:reconciliation';

/** The lease a run holds while it runs: one run per team at a time across every instance. */
export const runLeaseName = (teamId: number): string => `reconciliation-run-${teamId}`;

export interface RunStarted {
  runId: string;
  /** True when a run of the team was already under way: its id is returned, no second run starts. */
  alreadyRunning: boolean;
}

interface ActiveRun {
  view: RunView;
  done: Promise<RunView>;
}

/** How long a stop waits for the runs under way. */
const STOP_DRAIN_MS = 10_000;

/** Views of finished runs kept for GET without reading the stream; older ones are read from it. */
const RECENT_RUNS_KEPT = 200;

/**
 * Reconciliation of every configured Cal.com team (docs/sync.md): periodic apply runs, runs on
 * demand (HTTP, CLI), at most one at a time per team, and importing what Cal.com has that no
 * service is linked to.
 */
export class Reconciler {
  private readonly active = new Map<number, ActiveRun>();
  private readonly recent = new Map<string, RunView>();
  private readonly timers = new Map<number, () => void>();
  private readonly importing = new Set<string>();
  /** Periodic runs from timer to rescheduling, so that idle() also covers the rescheduling. */
  private readonly ticks = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: ReconcilerDeps) {}

  /**
   * Schedules a periodic apply run per team this instance works for, `intervalMinutes` after the
   * last periodic run of the team ended (read from the store, so a team taken over from another
   * instance keeps its rhythm). A team already scheduled stays as it is.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all(
      this.deps.directory
        .teams()
        .filter((access) => this.owns(access.settings.teamId))
        .map((access) => this.teamTaken(access.settings.teamId)),
    );
  }

  /** This instance now works for the team: its periodic runs are scheduled here. */
  async teamTaken(teamId: number): Promise<void> {
    if (this.stopped || this.deps.settings.intervalMinutes <= 0 || this.timers.has(teamId)) return;
    const access = this.deps.directory.teams().find((team) => team.settings.teamId === teamId);
    if (!access) return;
    this.timers.set(teamId, () => {}); // claimed while the last run is read
    let last: number | null = null;
    try {
      last = lastPeriodicRunAt(await readRunEvents(this.deps.store, teamId));
    } catch (cause) {
      this.deps.logger.warn(
        { err: cause, teamId },
        'could not read the last reconciliation run; the next one is a full interval away',
      );
    }
    this.timers.delete(teamId);
    if (this.stopped || !this.owns(teamId)) return;
    const intervalMs = this.deps.settings.intervalMinutes * 60_000;
    const now = this.deps.clock().getTime();
    this.schedule(access, last === null ? intervalMs : Math.max(0, last + intervalMs - now));
  }

  /** The team went to another instance: its periodic runs are that instance's now. */
  teamReleased(teamId: number): void {
    this.timers.get(teamId)?.();
    this.timers.delete(teamId);
  }

  /**
   * Stops scheduling and waits up to `drainMs` for the runs under way to end. A run still going
   * then has no recorded end: once this process is gone, it reads as interrupted.
   */
  async stop(drainMs = STOP_DRAIN_MS): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.active.values()].map((run) => run.done)),
      new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, drainMs);
      }),
    ]);
    clearTimeout(deadline);
    if (this.active.size > 0)
      this.deps.logger.warn(
        { runs: [...this.active.values()].map((run) => run.view.runId) },
        'stopped with reconciliation runs under way',
      );
  }

  /**
   * Starts a run of the company's team and returns once it is recorded as started; the run
   * goes on in the background. While one runs, a request returns that run's id.
   */
  async run(
    companyId: string,
    mode: ReconciliationMode,
    actor: Actor,
  ): Promise<Result<RunStarted, ReconciliationError>> {
    const access = this.deps.directory.forCompany(companyId);
    if (!access) return err(calcomNotConfigured(companyId));
    const { teamId } = access.settings;
    const running = this.active.get(teamId);
    if (running) return ok({ runId: running.view.runId, alreadyRunning: true });
    const lease = await this.deps.store.leases.tryAcquire(runLeaseName(teamId));
    if (lease.isErr()) {
      this.deps.logger.warn({ err: lease.error, teamId }, 'reconciliation run not started: store failed');
      return err(storeUnavailable());
    }
    if (!lease.value) return this.runningElsewhere(companyId, teamId);
    // Another request of this process may have started one while the lease was asked for.
    const raced = this.active.get(teamId);
    if (raced) return ok({ runId: raced.view.runId, alreadyRunning: true });

    const runId = this.deps.newId();
    const started = {
      type: 'ReconciliationStarted' as const,
      data: { schemaVersion: SCHEMA_VERSION, runId, companyId, teamId, mode, actor, at: this.now() },
    };
    const view = foldRunEvent(undefined, started) as RunView;
    // Claimed before the first await, so that a concurrent request sees this run.
    let finish: (view: RunView) => void = () => {};
    const done = new Promise<RunView>((resolve) => {
      finish = resolve;
    });
    this.active.set(teamId, { view, done });
    try {
      await recordRunEvent(this.deps.store, teamId, started, this.deps.newId());
    } catch (cause) {
      this.active.delete(teamId);
      await this.releaseRunLease(teamId);
      finish(view);
      this.deps.logger.warn({ err: cause, runId }, 'reconciliation run could not be recorded: store failed');
      return err(storeUnavailable());
    }
    void this.complete(access, view).then(async (final) => {
      this.active.delete(teamId);
      this.remember(final);
      await this.releaseRunLease(teamId);
      finish(final);
    });
    return ok({ runId, alreadyRunning: false });
  }

  /** Another instance holds the team's run lease: its run is the one under way. */
  private async runningElsewhere(
    companyId: string,
    teamId: number,
  ): Promise<Result<RunStarted, ReconciliationError>> {
    let events: Awaited<ReturnType<typeof readRunEvents>>;
    try {
      events = await readRunEvents(this.deps.store, teamId);
    } catch (cause) {
      this.deps.logger.warn({ err: cause, teamId }, 'reconciliation run could not be read: store failed');
      return err(storeUnavailable());
    }
    const runId = lastStartedRun(events, companyId);
    if (runId === null) return err(storeUnavailable());
    return ok({ runId, alreadyRunning: true });
  }

  private async releaseRunLease(teamId: number): Promise<void> {
    const released = await this.deps.store.leases.release(runLeaseName(teamId));
    if (released.isErr())
      this.deps.logger.warn({ err: released.error, teamId }, 'could not give the run lease up');
  }

  private owns(teamId: number): boolean {
    return this.deps.owns?.(teamId) ?? true;
  }

  /** Resolves when the run has ended (tests, the CLI's in-process use); undefined for an unknown run. */
  async waitForRun(runId: string): Promise<RunView | undefined> {
    for (const run of this.active.values()) if (run.view.runId === runId) return run.done;
    return this.recent.get(runId);
  }

  /** Resolves when no run is under way and every periodic run that ended has scheduled the next. */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.ticks.size > 0) {
      await Promise.all([...this.active.values()].map((run) => run.done));
      await Promise.all(this.ticks);
    }
  }

  /** A run of the company's team; another company's run is not found. */
  async getRun(companyId: string, runId: string): Promise<Result<RunView, ReconciliationError>> {
    const access = this.deps.directory.forCompany(companyId);
    if (!access) return err(calcomNotConfigured(companyId));
    const teamId = access.settings.teamId;
    const known =
      this.active.get(teamId)?.view.runId === runId ? this.active.get(teamId)?.view : this.recent.get(runId);
    let view = known;
    if (!view) {
      try {
        const events = await readRunEvents(this.deps.store, teamId);
        // A run under way on another instance holds the team's run lease; without it, it was cut short.
        const elsewhere =
          runViewOf(events, runId, () => true)?.state === 'running' &&
          (await this.deps.store.leases.isHeldAnywhere(runLeaseName(teamId))).unwrapOr(true);
        view = runViewOf(events, runId, (id) => elsewhere || this.isActive(id));
      } catch (cause) {
        this.deps.logger.warn({ err: cause, runId }, 'reconciliation run could not be read: store failed');
        return err(storeUnavailable());
      }
    }
    if (!view || view.companyId !== companyId || view.teamId !== teamId) return err(runNotFound(runId));
    return ok(view);
  }

  /** Event types of the company's team that no service is linked to, read live from Cal.com. */
  async importCandidates(companyId: string): Promise<Result<ImportCandidate[], ReconciliationError>> {
    const access = this.deps.directory.forCompany(companyId);
    if (!access) return err(calcomNotConfigured(companyId));
    return listImportCandidates(this.deps, access);
  }

  /** Registers and links a service from one of the company's candidates, as `newServiceId`. */
  async importCandidate(
    companyId: string,
    eventTypeId: number,
    actor: Actor,
    newServiceId: string,
  ): Promise<Result<ServiceState, ImportError>> {
    const access = this.deps.directory.forCompany(companyId);
    if (!access) return err(calcomNotConfigured(companyId));
    const key = `${access.settings.teamId}/${eventTypeId}`;
    if (this.importing.has(key)) {
      return err({
        code: 'ALREADY_IMPORTED',
        message: `Cal.com event type ${eventTypeId} is being imported right now. Look for the new service in GET /v1/services.`,
      });
    }
    this.importing.add(key);
    try {
      return await importCandidate(this.deps, access, { eventTypeId, actor, serviceId: newServiceId });
    } finally {
      this.importing.delete(key);
    }
  }

  private async complete(access: CompanyCalcomAccess, view: RunView): Promise<RunView> {
    const ticket = {
      runId: view.runId,
      companyId: view.companyId,
      teamId: view.teamId,
      mode: view.mode,
      client: access.client,
    };
    let ending: RunEnd;
    try {
      ending = await performRun(this.deps, ticket);
    } catch (cause) {
      // The store failed under the run (reading counters or recording the end): the run has
      // no recorded end, so reading it later shows it as interrupted.
      this.deps.logger.error({ err: cause, runId: view.runId }, 'reconciliation run failed');
      return {
        ...view,
        state: 'aborted',
        endedAt: this.now(),
        reason: { code: 'STORE_UNAVAILABLE', message: storeUnavailable().message },
      };
    }
    return foldRunEvent(view, ending) ?? view;
  }

  private schedule(access: CompanyCalcomAccess, delayMs = this.deps.settings.intervalMinutes * 60_000): void {
    if (this.stopped) return;
    const teamId = access.settings.teamId;
    const timers = this.deps.timers ?? realTimers;
    const cancel = timers.schedule(delayMs, () => {
      const tick = this.tick(access).finally(() => this.ticks.delete(tick));
      this.ticks.add(tick);
    });
    this.timers.set(teamId, cancel);
  }

  private async tick(access: CompanyCalcomAccess): Promise<void> {
    this.timers.delete(access.settings.teamId);
    // Handed over meanwhile: the team's new holder schedules it.
    if (!this.owns(access.settings.teamId)) return;
    const started = await this.run(access.companyId, 'apply', PERIODIC_ACTOR);
    if (started.isErr()) {
      this.deps.logger.error(
        { teamId: access.settings.teamId, error: started.error },
        'periodic reconciliation failed',
      );
    } else {
      await this.waitForRun(started.value.runId);
    }
    if (this.owns(access.settings.teamId) && !this.timers.has(access.settings.teamId)) this.schedule(access);
  }

  private isActive(runId: string): boolean {
    return [...this.active.values()].some((run) => run.view.runId === runId);
  }

  private remember(view: RunView): void {
    this.recent.set(view.runId, view);
    if (this.recent.size <= RECENT_RUNS_KEPT) return;
    const oldest = this.recent.keys().next().value;
    if (oldest !== undefined) this.recent.delete(oldest);
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }
}

/** When the team's last periodic run ended (or started, if it never ended); null when none ran. */
function lastPeriodicRunAt(events: Awaited<ReturnType<typeof readRunEvents>>): number | null {
  const periodic = new Set<string>();
  let last: number | null = null;
  for (const event of events) {
    if (event.type === 'ReconciliationStarted') {
      if (event.data.actor !== PERIODIC_ACTOR) continue;
      periodic.add(event.data.runId);
    } else if (!periodic.has(event.data.runId)) continue;
    last = Date.parse(event.data.at);
  }
  return last;
}

/** The run of the company started last (the one another instance is running), or null. */
function lastStartedRun(events: Awaited<ReturnType<typeof readRunEvents>>, companyId: string): string | null {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    if (event?.type === 'ReconciliationStarted' && event.data.companyId === companyId)
      return event.data.runId;
  }
  return null;
}
