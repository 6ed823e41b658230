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
}

export interface RunStarted {
  runId: string;
  /** True when a run of the team was already under way: its id is returned, no second run starts. */
  alreadyRunning: boolean;
}

interface ActiveRun {
  view: RunView;
  done: Promise<RunView>;
}

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
   * Schedules a periodic apply run per configured team, every `intervalMinutes` after the last one
   * ended. A team already scheduled stays as it is, so a second start schedules nothing more.
   */
  start(): void {
    this.stopped = false;
    if (this.deps.settings.intervalMinutes <= 0) return;
    for (const access of this.deps.directory.teams())
      if (!this.timers.has(access.settings.teamId)) this.schedule(access);
  }

  /** Stops scheduling and waits for the runs under way to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await Promise.all([...this.active.values()].map((run) => run.done));
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
      finish(view);
      this.deps.logger.warn({ err: cause, runId }, 'reconciliation run could not be recorded: store failed');
      return err(storeUnavailable());
    }
    void this.complete(access, view).then((final) => {
      this.active.delete(teamId);
      this.remember(final);
      finish(final);
    });
    return ok({ runId, alreadyRunning: false });
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
        view = runViewOf(await readRunEvents(this.deps.store, teamId), runId, (id) => this.isActive(id));
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

  private schedule(access: CompanyCalcomAccess): void {
    if (this.stopped) return;
    const teamId = access.settings.teamId;
    const timers = this.deps.timers ?? realTimers;
    const cancel = timers.schedule(this.deps.settings.intervalMinutes * 60_000, () => {
      const tick = this.tick(access).finally(() => this.ticks.delete(tick));
      this.ticks.add(tick);
    });
    this.timers.set(teamId, cancel);
  }

  private async tick(access: CompanyCalcomAccess): Promise<void> {
    const started = await this.run(access.companyId, 'apply', 'calcom:reconciliation');
    if (started.isErr()) {
      this.deps.logger.error(
        { teamId: access.settings.teamId, error: started.error },
        'periodic reconciliation failed',
      );
    } else {
      await this.waitForRun(started.value.runId);
    }
    this.schedule(access);
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
