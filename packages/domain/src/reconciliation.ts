import type { CalcomSnapshot } from './calcom-mapping.js';
import type { MarkCalcomEventTypeMissing, RecordCalcomObservation } from './commands.js';
import { type DivergentField, detectDivergence, sameDivergence } from './divergence.js';
import type {
  MissCounter,
  ReconciliationAbortReason,
  ReconciliationCounts,
  ReconciliationFinding,
} from './reconciliation-events.js';
import type { ServiceState } from './service-state.js';

export * from './reconciliation-events.js';

/**
 * Planning a reconciliation run (docs/sync.md): from what Cal.com listed and what the platform knows,
 * what the run finds and which service commands applying it takes. Pure: the listing, the
 * services, the counters and the time all come in as arguments.
 *
 * Principle 4 is enforced here: not seeing something is not evidence that it is gone. A failed,
 * unparseable, inconsistent or empty listing, or one that would make too many services go
 * missing at once, aborts the whole run, so it yields no command at all.
 */

export interface ReconciliationSettings {
  /** Consecutive complete runs without the event type before it is recorded as missing. */
  missesBeforeOrphan: number;
  /** Abort when more than this share (0..1) of the linked services would go missing at once. */
  maxMissingShare: number;
}

export type TeamListing =
  | { ok: true; eventTypes: readonly CalcomSnapshot[] }
  | { ok: false; reason: ReconciliationAbortReason };

export interface ReconciliationInput {
  companyId: string;
  teamId: number;
  /** Time of the run: the `at` of the commands. */
  at: string;
  /** The company's services as they are now, after the listing was read. */
  services: readonly ServiceState[];
  /**
   * The same services as they were just before the listing was requested. A push confirmed
   * while the listing was on its way changes the baseline; a field counts as diverged only
   * when it diverges from both views.
   * Omitted: the services did not change in between.
   */
  servicesBeforeListing?: readonly ServiceState[];
  /** Event types of the team linked by services of other companies: never import candidates. */
  linkedElsewhere?: ReadonlySet<number>;
  /** Counters of the last complete apply run. */
  previousMisses: readonly MissCounter[];
  listing: TeamListing;
  settings: ReconciliationSettings;
}

export type ReconciliationCommand = RecordCalcomObservation | MarkCalcomEventTypeMissing;

export type ReconciliationPlan =
  | { outcome: 'aborted'; reason: ReconciliationAbortReason }
  | {
      outcome: 'planned';
      findings: ReconciliationFinding[];
      counts: ReconciliationCounts;
      /** Counters after the run, for the next one. */
      misses: MissCounter[];
      /** What applying the run executes; a check run executes none of them. */
      commands: ReconciliationCommand[];
    };

type Linked = ServiceState & { link: { teamId: number; eventTypeId: number } };

function linkedToTeam(services: readonly ServiceState[], teamId: number): Linked[] {
  return services.filter((s): s is Linked => s.exists && s.link !== null && s.link.teamId === teamId);
}

function listingProblem(
  teamId: number,
  eventTypes: readonly CalcomSnapshot[],
): ReconciliationAbortReason | null {
  const seen = new Set<number>();
  for (const eventType of eventTypes) {
    if (seen.has(eventType.id)) {
      return {
        code: 'LISTING_INCONSISTENT',
        message: `Cal.com listed event type ${eventType.id} twice for team ${teamId}; a listing that contradicts itself is not evidence. Nothing was changed; run again later.`,
      };
    }
    seen.add(eventType.id);
    if (eventType.teamId !== null && eventType.teamId !== teamId) {
      return {
        code: 'LISTING_INCONSISTENT',
        message: `Cal.com listed event type ${eventType.id} of team ${eventType.teamId} when asked for team ${teamId}. Nothing was changed; check the team id in the configuration.`,
      };
    }
  }
  return null;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

/** The guard rails of docs/sync.md that apply to a listing that arrived, before anything is compared. */
function abortReason(
  teamId: number,
  eventTypes: readonly CalcomSnapshot[],
  watched: readonly Linked[],
  settings: ReconciliationSettings,
): ReconciliationAbortReason | null {
  const problem = listingProblem(teamId, eventTypes);
  if (problem) return problem;
  if (watched.length === 0) return null;
  if (eventTypes.length === 0) {
    return {
      code: 'LISTING_EMPTY',
      message: `Cal.com listed no event types for team ${teamId} while ${watched.length} service(s) are linked to it. An empty answer is not evidence that they are gone. Nothing was changed. Check the team id and the API key's access to the team, then run again.`,
    };
  }
  const listed = new Set(eventTypes.map((e) => e.id));
  const absent = watched.filter((s) => !listed.has(s.link.eventTypeId)).length;
  const share = absent / watched.length;
  if (share > settings.maxMissingShare) {
    return {
      code: 'TOO_MANY_MISSING',
      message: `${absent} of ${watched.length} linked services (${percent(share)}) are not among the ${eventTypes.length} event types Cal.com listed for team ${teamId}, more than the allowed ${percent(settings.maxMissingShare)} at once. Nothing was changed. If they really were deleted in Cal.com, unlink those services or raise reconciliation.maxMissingShare, then run again.`,
    };
  }
  return null;
}

/** Fields that diverge now and also diverged in the view before the listing (when there is one). */
function divergentFields(
  service: Linked,
  before: ServiceState | undefined,
  seen: CalcomSnapshot,
): DivergentField[] {
  const now = detectDivergence(service, seen);
  if (!before || before.link?.eventTypeId !== service.link.eventTypeId) return now;
  const earlier = new Set(detectDivergence(before, seen).map((f) => f.field));
  return now.filter((f) => earlier.has(f.field));
}

function emptyCounts(linked: number, listed: number): ReconciliationCounts {
  return {
    linked,
    listed,
    confirmed: 0,
    diverged: 0,
    missing: 0,
    orphaned: 0,
    stillOrphaned: 0,
    reappeared: 0,
    candidates: 0,
  };
}

const countKey = {
  confirmed: 'confirmed',
  diverged: 'diverged',
  missing: 'missing',
  orphaned: 'orphaned',
  still_orphaned: 'stillOrphaned',
  reappeared: 'reappeared',
  import_candidate: 'candidates',
} as const satisfies Record<ReconciliationFinding['kind'], keyof ReconciliationCounts>;

/** What a reconciliation run finds and what applying it does, or why it must abort. */
export function planReconciliation(input: ReconciliationInput): ReconciliationPlan {
  const { companyId, teamId, at, settings } = input;
  const linked = linkedToTeam(
    input.services.filter((s) => s.companyId === companyId),
    teamId,
  );
  // A service already recorded as missing has nothing more to lose: it is reported, never counted.
  const watched = linked.filter((s) => s.missing === null);
  if (!input.listing.ok) return { outcome: 'aborted', reason: input.listing.reason };
  const eventTypes = input.listing.eventTypes;
  const reason = abortReason(teamId, eventTypes, watched, settings);
  if (reason) return { outcome: 'aborted', reason };
  const listed = new Map(eventTypes.map((e) => [e.id, e]));
  const before = new Map((input.servicesBeforeListing ?? []).map((s) => [s.serviceId, s]));
  const previous = new Map(input.previousMisses.map((m) => [m.serviceId, m]));
  const findings: ReconciliationFinding[] = [];
  const misses: MissCounter[] = [];
  const commands: ReconciliationCommand[] = [];
  const meta = (serviceId: string) => ({ serviceId, companyId, actor: 'calcom:reconciliation' as const, at });

  for (const service of linked) {
    const { serviceId } = service;
    const { eventTypeId } = service.link;
    const seen = listed.get(eventTypeId);
    if (service.missing) {
      findings.push({ kind: seen ? 'reappeared' : 'still_orphaned', serviceId, eventTypeId });
      continue;
    }
    if (seen) {
      const fields = divergentFields(service, before.get(serviceId), seen);
      if (fields.length === 0) {
        if (!service.divergence) {
          findings.push({ kind: 'confirmed', serviceId, eventTypeId });
          continue;
        }
        // Cal.com holds the platform's values again: recording it closes the open divergence.
        findings.push({ kind: 'confirmed', serviceId, eventTypeId, closesDivergence: true });
        commands.push({
          ...meta(serviceId),
          type: 'RecordCalcomObservation',
          source: 'reconciliation',
          snapshot: seen,
        });
        continue;
      }
      const alreadyRecorded = sameDivergence(service, fields);
      findings.push({ kind: 'diverged', serviceId, eventTypeId, fields, alreadyRecorded });
      if (!alreadyRecorded) {
        commands.push({
          ...meta(serviceId),
          type: 'RecordCalcomObservation',
          source: 'reconciliation',
          snapshot: seen,
        });
      }
      continue;
    }
    const counter = previous.get(serviceId);
    // A counter belongs to one link: a service relinked to another event type starts again.
    const carried = counter?.eventTypeId === eventTypeId ? counter.consecutiveMisses : 0;
    const consecutiveMisses = carried + 1;
    if (consecutiveMisses >= settings.missesBeforeOrphan) {
      findings.push({ kind: 'orphaned', serviceId, eventTypeId, consecutiveMisses });
      commands.push({
        ...meta(serviceId),
        type: 'MarkCalcomEventTypeMissing',
        eventTypeId,
        evidence: 'reconciliation',
        consecutiveMisses,
      });
      continue;
    }
    misses.push({ serviceId, eventTypeId, consecutiveMisses });
    findings.push({
      kind: 'missing',
      serviceId,
      eventTypeId,
      consecutiveMisses,
      missesBeforeOrphan: settings.missesBeforeOrphan,
    });
  }

  const linkedIds = new Set(linked.map((s) => s.link.eventTypeId));
  for (const eventType of eventTypes) {
    if (linkedIds.has(eventType.id) || input.linkedElsewhere?.has(eventType.id)) continue;
    findings.push({
      kind: 'import_candidate',
      eventTypeId: eventType.id,
      title: eventType.title,
      slug: eventType.slug,
      lengthInMinutes: eventType.lengthInMinutes,
      hidden: eventType.hidden,
      price: { amount: eventType.price, currency: eventType.currency.toUpperCase() },
    });
  }

  const counts = emptyCounts(linked.length, listed.size);
  for (const finding of findings) counts[countKey[finding.kind]]++;
  return { outcome: 'planned', findings, counts, misses, commands };
}

/** Whether a run's findings need a person's attention (anything but confirmations). */
export function needsAttention(counts: ReconciliationCounts): boolean {
  return (
    counts.diverged +
      counts.missing +
      counts.orphaned +
      counts.stillOrphaned +
      counts.reappeared +
      counts.candidates >
    0
  );
}
