import type { CalcomClient, CalcomError } from '@calsync/calcom';
import {
  planReconciliation,
  type ReconciliationAborted,
  type ReconciliationCompleted,
  type ReconciliationMode,
  type ReconciliationSettings,
  SCHEMA_VERSION,
  type TeamListing,
} from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import type { Logger } from 'pino';
import { toCalcomSnapshot } from '../calcom/calcom-translation.js';
import type { ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';
import { lastApplyMisses, readRunEvents, recordRunEvent } from './run-journal.js';

export interface RunDeps {
  store: EventStore;
  readModel: ServiceReadModel;
  commands: ServiceCommandBus;
  settings: ReconciliationSettings;
  clock: () => Date;
  newId: () => string;
  logger: Logger;
}

export interface RunTicket {
  runId: string;
  companyId: string;
  teamId: number;
  mode: ReconciliationMode;
  client: CalcomClient;
}

export type RunEnd = ReconciliationCompleted | ReconciliationAborted;

/** Why a listing is no evidence: the request failed, or a 2xx carried no list of event types. */
function listingFailure(teamId: number, error: CalcomError): TeamListing {
  const answered = error.httpStatus !== null && error.httpStatus >= 200 && error.httpStatus < 300;
  if (answered) {
    return {
      ok: false,
      reason: {
        code: 'LISTING_UNPARSEABLE',
        message: `Cal.com answered ${error.httpStatus} to the listing of team ${teamId}'s event types, but the body is not a list of event types (${error.message}). Nothing was changed; the next run tries again.`,
      },
    };
  }
  const status = error.httpStatus === null ? 'no answer' : `HTTP ${error.httpStatus}`;
  const hint =
    error.kind === 'unauthorized'
      ? ' Check that the API key is valid and belongs to an admin of the team.'
      : ' The next run tries again.';
  return {
    ok: false,
    reason: {
      code: 'CALCOM_UNAVAILABLE',
      message: `Listing team ${teamId}'s event types failed (${error.kind}, ${status}: ${error.message}). Nothing was changed.${hint}`,
    },
  };
}

async function listTeam(client: CalcomClient, teamId: number): Promise<TeamListing> {
  const listed = await client.listTeamEventTypes(teamId);
  if (listed.isErr()) return listingFailure(teamId, listed.error);
  return { ok: true, eventTypes: listed.value.map((eventType) => toCalcomSnapshot(eventType, teamId)) };
}

/**
 * One run after its ReconciliationStarted: read the team's listing between two looks at the
 * services, plan, execute the plan's commands when applying, and record how the run ended.
 */
export async function performRun(deps: RunDeps, ticket: RunTicket): Promise<RunEnd> {
  const { runId, companyId, teamId, mode } = ticket;
  const servicesBeforeListing = deps.readModel.listCompany(companyId);
  const listing = await listTeam(ticket.client, teamId);
  const services = deps.readModel.listCompany(companyId);
  const linkedElsewhere = new Set(
    deps.readModel
      .all()
      .filter((s) => s.companyId !== companyId && s.link?.teamId === teamId)
      .flatMap((s) => (s.link ? [s.link.eventTypeId] : [])),
  );
  const previousMisses = lastApplyMisses(await readRunEvents(deps.store, teamId), companyId);
  const at = deps.clock().toISOString();
  const plan = planReconciliation({
    companyId,
    teamId,
    at,
    services,
    servicesBeforeListing,
    linkedElsewhere,
    previousMisses,
    listing,
    settings: deps.settings,
  });
  const base = { schemaVersion: SCHEMA_VERSION, runId, companyId, teamId, mode } as const;
  const end = async (event: RunEnd): Promise<RunEnd> => {
    await recordRunEvent(deps.store, teamId, event, deps.newId());
    return event;
  };

  if (plan.outcome === 'aborted') {
    deps.logger.warn({ runId, teamId, reason: plan.reason }, 'reconciliation aborted');
    return end({
      type: 'ReconciliationAborted',
      data: { ...base, at: deps.clock().toISOString(), reason: plan.reason, serviceEventsAppended: 0 },
    });
  }

  let appended = 0;
  if (mode === 'apply') {
    for (const command of plan.commands) {
      let outcome: Awaited<ReturnType<ServiceCommandBus['execute']>>;
      try {
        outcome = await deps.commands.execute(command);
      } catch (cause) {
        // A bug on one service's command (an odd value Cal.com holds) must not cost the other
        // services their findings: the finding stays recorded below, the next run compares again.
        deps.logger.error(
          { err: cause, runId, serviceId: command.serviceId, command: command.type },
          'reconciliation finding not applied: the command failed on this service',
        );
        continue;
      }
      if (outcome.isOk()) {
        appended += outcome.value.events.length;
        continue;
      }
      if (outcome.error.code === 'STORE_UNAVAILABLE') {
        return end({
          type: 'ReconciliationAborted',
          data: {
            ...base,
            at: deps.clock().toISOString(),
            reason: {
              code: 'STORE_UNAVAILABLE',
              message: `${outcome.error.message} ${appended} service event(s) had been recorded; the miss counters did not advance. Run again.`,
            },
            serviceEventsAppended: appended,
          },
        });
      }
      // The service changed between the look and the command (relinked, unlinked): the
      // decider refused on its current state, which is right; the next run compares again.
      deps.logger.info(
        { runId, serviceId: command.serviceId, code: outcome.error.code },
        'reconciliation finding not applied: the service changed during the run',
      );
    }
  }

  deps.logger.info({ runId, teamId, mode, counts: plan.counts, appended }, 'reconciliation completed');
  return end({
    type: 'ReconciliationCompleted',
    data: {
      ...base,
      at: deps.clock().toISOString(),
      counts: plan.counts,
      findings: plan.findings,
      misses: plan.misses,
      serviceEventsAppended: appended,
    },
  });
}
