import type { CalcomError } from '@calsync/calcom';
import {
  type Actor,
  type CalcomSnapshot,
  fromCalcomSnapshot,
  type ServiceState,
  type SyncedFields,
} from '@calsync/domain';
import { err, ok, type Result } from 'neverthrow';
import type { CompanyCalcomAccess } from '../calcom/calcom-directory.js';
import { toCalcomSnapshot } from '../calcom/calcom-translation.js';
import type { CommandError, ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';
import type { ReconciliationError } from './reconciliation-errors.js';

/** A Cal.com event type of the company's team that no service is linked to (GET /v1/import-candidates). */
export interface ImportCandidate {
  eventTypeId: number;
  teamId: number;
  title: string;
  slug: string;
  lengthInMinutes: number;
  hidden: boolean;
  price: { amount: number; currency: string };
  /** The synced fields the service would be registered with (Cal.com's values in platform terms). */
  importAs: SyncedFields;
}

export type ImportError = ReconciliationError | CommandError;

export interface ImportDeps {
  readModel: ServiceReadModel;
  commands: ServiceCommandBus;
  clock: () => Date;
  newId: () => string;
}

function unavailable(teamId: number, error: CalcomError): ReconciliationError {
  return {
    code: 'CALCOM_UNAVAILABLE',
    message: `Cal.com could not be asked for team ${teamId}'s event types (${error.kind}${error.httpStatus ? ` ${error.httpStatus}` : ''}: ${error.message}). Nothing was changed; try again shortly.`,
  };
}

function candidateOf(snapshot: CalcomSnapshot, teamId: number): ImportCandidate {
  const importAs = fromCalcomSnapshot(snapshot);
  return {
    eventTypeId: snapshot.id,
    teamId,
    title: snapshot.title,
    slug: snapshot.slug,
    lengthInMinutes: snapshot.lengthInMinutes,
    hidden: snapshot.hidden,
    price: importAs.price,
    importAs,
  };
}

/** The service, of any company, linked to this event type of this team. */
function linkedService(
  readModel: ServiceReadModel,
  teamId: number,
  eventTypeId: number,
): ServiceState | undefined {
  return readModel.all().find((s) => s.link?.teamId === teamId && s.link.eventTypeId === eventTypeId);
}

/** The team's live listing minus every event type a service is linked to. */
export async function listImportCandidates(
  deps: ImportDeps,
  access: CompanyCalcomAccess,
): Promise<Result<ImportCandidate[], ReconciliationError>> {
  const { teamId } = access.settings;
  const listed = await access.client.listTeamEventTypes(teamId);
  if (listed.isErr()) return err(unavailable(teamId, listed.error));
  return ok(
    listed.value
      .filter((eventType) => !linkedService(deps.readModel, teamId, eventType.id))
      .map((eventType) => candidateOf(toCalcomSnapshot(eventType, teamId), teamId)),
  );
}

/**
 * Registers and links a service whose synced fields are the event type's, into the company
 * that owns the team (the only team its token reaches), audited as an import. The link's push
 * then writes back exactly these values, which confirms the baseline.
 */
export async function importCandidate(
  deps: ImportDeps,
  access: CompanyCalcomAccess,
  request: { eventTypeId: number; actor: Actor; serviceId: string },
): Promise<Result<ServiceState, ImportError>> {
  const { teamId } = access.settings;
  const { eventTypeId } = request;
  const already = linkedService(deps.readModel, teamId, eventTypeId);
  if (already) return err(alreadyImported(eventTypeId, already, access.companyId));
  const fetched = await access.client.getTeamEventType(teamId, eventTypeId);
  if (fetched.isErr()) {
    if (fetched.error.kind === 'not_found') return err(candidateNotFound(eventTypeId, teamId));
    return err(unavailable(teamId, fetched.error));
  }
  const snapshot = toCalcomSnapshot(fetched.value, teamId);
  if (snapshot.teamId !== teamId) return err(candidateNotFound(eventTypeId, teamId));
  const fields = fromCalcomSnapshot(snapshot);
  const clash = deps.readModel
    .listCompany(access.companyId)
    .find((s) => s.fields?.slug === fields.slug && s.serviceId !== request.serviceId);
  if (clash) {
    return err({
      code: 'SLUG_CONFLICT',
      message: `Service "${clash.serviceId}" already uses the slug "${fields.slug}" of Cal.com event type ${eventTypeId}. Change the slug of one of them (in Cal.com or with PATCH /v1/services/${clash.serviceId}) and import again.`,
      details: { serviceId: clash.serviceId, slug: fields.slug },
    });
  }
  // Re-checked after the fetch: another import of the same event type may have finished meanwhile.
  const raced = linkedService(deps.readModel, teamId, eventTypeId);
  if (raced) return err(alreadyImported(eventTypeId, raced, access.companyId));
  const outcome = await deps.commands.execute({
    type: 'RegisterService',
    serviceId: request.serviceId,
    companyId: access.companyId,
    actor: request.actor,
    at: deps.clock().toISOString(),
    fields,
    calcom: { teamId, eventTypeId },
    syncId: deps.newId(),
    origin: 'calcom_import',
  });
  if (outcome.isErr()) {
    const error = outcome.error;
    if (error.code !== 'VALIDATION_FAILED') return err(error);
    return err({
      ...error,
      message: `Cal.com event type ${eventTypeId} cannot be imported as it is: ${error.message}`,
    });
  }
  return ok(outcome.value.state);
}

function alreadyImported(eventTypeId: number, service: ServiceState, companyId: string): ReconciliationError {
  // Another tenant's service id is not ours to reveal.
  const own = service.companyId === companyId;
  return {
    code: 'ALREADY_IMPORTED',
    message: own
      ? `Cal.com event type ${eventTypeId} is already linked to service "${service.serviceId}". Use that service, or unlink it first.`
      : `Cal.com event type ${eventTypeId} is already linked to a service of another company; it cannot be imported here.`,
    ...(own ? { details: { serviceId: service.serviceId } } : {}),
  };
}

function candidateNotFound(eventTypeId: number, teamId: number): ReconciliationError {
  return {
    code: 'CANDIDATE_NOT_FOUND',
    message: `Cal.com team ${teamId} has no event type ${eventTypeId}. List what can be imported with GET /v1/import-candidates.`,
  };
}
