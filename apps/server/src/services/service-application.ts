import {
  type AuditEntry,
  type CalcomLinkRequest,
  type ResolutionDecision,
  type ServiceCommand,
  type ServiceState,
  type ServiceView,
  serviceNotFound,
  statusView,
  type TeamSyncContext,
} from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import { AuditFeed, type AuditPage } from '../audit/audit-feed.js';
import type { CalcomDirectory } from '../calcom/calcom-directory.js';
import {
  type CommandError,
  type ServiceCommandBus,
  STORE_UNAVAILABLE_MESSAGE,
} from './service-command-bus.js';
import { decodeServiceCursor, encodeServiceCursor, type ServiceFilter } from './service-cursor.js';
import type { ServiceReads } from './service-read-model.js';

function matches(view: ServiceView, filter: ServiceFilter): boolean {
  return (
    (filter.status === undefined || view.sync.status === filter.status) &&
    (filter.bookable === undefined || view.bookable === filter.bookable)
  );
}

function invalidCursor(after: string, problem: 'malformed' | 'other-filters'): ApplicationError {
  const shown = after.length > 80 ? `${after.slice(0, 80)}…` : after;
  return {
    code: 'INVALID_CURSOR',
    message:
      problem === 'other-filters'
        ? `The cursor "${shown}" continues a listing with other filters. Pass the same "status" and "bookable" as for the first page, or start again without "after".`
        : `The cursor "${shown}" is not a cursor of this listing. Start again without "after".`,
  };
}

function resetTeamOnly(reset: Result<ServiceView, ApplicationError>, resumedTeam: boolean): boolean {
  return resumedTeam && reset.isErr() && reset.error.code === 'NOTHING_TO_RESET';
}

/** What is known about a whole team (credentials paused, key rate-limited) and how to resume it. */
export interface TeamSyncHooks {
  context(teamId: number): TeamSyncContext;
  /** Resumes a paused team; ok(false) when it was not paused. */
  resume(teamId: number, actor: Caller['actor']): Promise<Result<boolean, { code: string; message: string }>>;
}

const noTeamHooks: TeamSyncHooks = {
  context: () => ({ paused: null }),
  resume: async () => ok(false),
};

/** Who is acting, for which company: derived from the bearer token by the HTTP layer. */
export interface Caller {
  companyId: string;
  actor: `admin:${string}`;
}

export type ApplicationError =
  | CommandError
  | { code: 'CALCOM_NOT_CONFIGURED'; message: string }
  | { code: 'INVALID_CURSOR'; message: string };

export type { AuditPage } from '../audit/audit-feed.js';

/** A page of the company's services; `next` is the cursor of the following page, null on the last. */
export interface ServicePage {
  items: ServiceView[];
  next: string | null;
}

/** The use cases behind the HTTP commands and queries of docs/http-contract.md. */
export class ServiceApplication {
  private readonly audit: AuditFeed;

  constructor(
    store: EventStore,
    private readonly readModel: ServiceReads,
    private readonly commands: ServiceCommandBus,
    private readonly directory: CalcomDirectory,
    private readonly clock: () => Date,
    private readonly newId: () => string,
    private readonly team: TeamSyncHooks = noTeamHooks,
  ) {
    this.audit = new AuditFeed(store, commands.logger);
  }

  view(state: ServiceState): ServiceView {
    const teamId = state.link?.teamId ?? state.createIn;
    return statusView(state, teamId === null ? { paused: null } : this.team.context(teamId));
  }

  async register(
    caller: Caller,
    body: Record<string, unknown> & { calcom?: { eventTypeId: number } | { create: true } },
  ): Promise<Result<ServiceView, ApplicationError>> {
    const { calcom, ...fields } = body;
    let link: CalcomLinkRequest | undefined;
    if (calcom) {
      const team = this.teamOf(caller.companyId);
      if (team.isErr()) return err(team.error);
      link =
        'eventTypeId' in calcom
          ? { teamId: team.value, eventTypeId: calcom.eventTypeId }
          : { teamId: team.value, create: true };
    }
    return this.run({
      ...this.meta(caller, this.newId()),
      type: 'RegisterService',
      fields,
      ...(link ? { calcom: link } : {}),
      syncId: this.newId(),
    });
  }

  edit(caller: Caller, serviceId: string, patch: unknown, expectedRevision?: number) {
    return this.run({
      ...this.meta(caller, serviceId),
      type: 'EditService',
      patch,
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
      syncId: this.newId(),
    });
  }

  async link(
    caller: Caller,
    serviceId: string,
    eventTypeId: number,
  ): Promise<Result<ServiceView, ApplicationError>> {
    const team = this.teamOf(caller.companyId);
    if (team.isErr()) return err(team.error);
    return this.run({
      ...this.meta(caller, serviceId),
      type: 'LinkService',
      teamId: team.value,
      eventTypeId,
      syncId: this.newId(),
    });
  }

  /** Stops mirroring the service: its pending push is dropped, reconciliation stops watching it. */
  unlink(caller: Caller, serviceId: string, reason: string) {
    return this.run({ ...this.meta(caller, serviceId), type: 'UnlinkService', reason });
  }

  requestSync(caller: Caller, serviceId: string) {
    return this.run({ ...this.meta(caller, serviceId), type: 'RequestSync', syncId: this.newId() });
  }

  resolveDivergence(
    caller: Caller,
    serviceId: string,
    decisions: Record<string, ResolutionDecision>,
    confirm: boolean,
  ) {
    return this.run({
      ...this.meta(caller, serviceId),
      type: 'ResolveDivergence',
      decisions,
      confirm,
      syncId: this.newId(),
    });
  }

  /** Clears an error and pushes again; for a team paused on credentials, the admin's reset resumes it. */
  async resetSyncStatus(caller: Caller, serviceId: string): Promise<Result<ServiceView, ApplicationError>> {
    const state = this.readModel.get(serviceId);
    const teamId =
      state && state.companyId === caller.companyId ? (state.link?.teamId ?? state.createIn) : null;
    let resumedTeam = false;
    if (teamId !== null && this.team.context(teamId).paused) {
      const resumed = await this.team.resume(teamId, caller.actor);
      if (resumed.isErr()) {
        // The team stream's error may carry the driver's words: logged, never shown.
        this.commands.logger?.warn({ storeError: resumed.error.message }, 'Resuming the team failed');
        return err({ code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_MESSAGE });
      }
      resumedTeam = resumed.value;
    }
    const reset = await this.run({
      ...this.meta(caller, serviceId),
      type: 'ResetSyncStatus',
      syncId: this.newId(),
    });
    // A service that was only waiting for its team's credentials has nothing of its own to reset:
    // resuming the team was the whole reset.
    if (resetTeamOnly(reset, resumedTeam) && state) return ok(this.view(state));
    return reset;
  }

  get(caller: Caller, serviceId: string): Result<ServiceView, ApplicationError> {
    const state = this.readModel.get(serviceId);
    if (!state || state.companyId !== caller.companyId) return err(serviceNotFound(serviceId));
    return ok(this.view(state));
  }

  /** Every service of the company the filter keeps, in registration order (unpaged). */
  list(caller: Caller, filter: ServiceFilter): ServiceView[] {
    return this.readModel
      .listCompany(caller.companyId)
      .map((state) => this.view(state))
      .filter((view) => matches(view, filter));
  }

  /**
   * Up to `limit` services the filter keeps, in registration order, after the cursor
   * (docs/http-contract.md, "Pagination"). A cursor not issued for these filters is
   * `INVALID_CURSOR`.
   */
  listPage(
    caller: Caller,
    filter: ServiceFilter,
    limit: number,
    after?: string,
  ): Result<ServicePage, ApplicationError> {
    let afterKey: string | null = null;
    if (after !== undefined) {
      const decoded = decodeServiceCursor(after, filter);
      if ('problem' in decoded) return err(invalidCursor(after, decoded.problem));
      afterKey = decoded.key;
    }
    const page = this.readModel.pageCompany(caller.companyId, afterKey, limit, (state) => {
      const view = this.view(state);
      return matches(view, filter) ? view : undefined;
    });
    return ok({
      items: page.items,
      next: page.more && page.last !== null ? encodeServiceCursor(page.last, filter) : null,
    });
  }

  /** The service's trail, oldest first, read from its stream (always current). */
  async serviceAudit(caller: Caller, serviceId: string): Promise<Result<AuditEntry[], ApplicationError>> {
    const state = this.readModel.get(serviceId);
    if (!state || state.companyId !== caller.companyId) return err(serviceNotFound(serviceId));
    return this.audit.serviceTrail(serviceId);
  }

  /** The company's feed in commit order, `limit` entries after the cursor (audit/audit-feed.ts). */
  companyAudit(caller: Caller, limit: number, after?: string): Promise<Result<AuditPage, ApplicationError>> {
    return this.audit.companyPage(caller.companyId, limit, after);
  }

  private teamOf(companyId: string): Result<number, ApplicationError> {
    const access = this.directory.forCompany(companyId);
    if (!access) {
      return err({
        code: 'CALCOM_NOT_CONFIGURED',
        message: `Company "${companyId}" has no Cal.com team configured, so nothing can be linked. Add "calcom" to its entry in CALSYNC_CONFIG.`,
      });
    }
    return ok(access.settings.teamId);
  }

  private meta(caller: Caller, serviceId: string) {
    return { serviceId, companyId: caller.companyId, actor: caller.actor, at: this.clock().toISOString() };
  }

  private async run(command: ServiceCommand): Promise<Result<ServiceView, ApplicationError>> {
    const result = await this.commands.execute(command);
    return result.map((outcome) => this.view(outcome.state));
  }
}
