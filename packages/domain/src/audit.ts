import type { Actor, ServiceEvent } from './events.js';
import { fieldNames } from './fields.js';

/** One line of the audit trail: who / what / when / before → after / source (docs/status.md). */
export interface AuditEntry {
  /** The event's position in the store's global order (the feed's cursor). */
  position: string;
  at: string;
  serviceId: string;
  event: ServiceEvent['type'];
  actor: Actor;
  source: AuditSource;
  changes: Array<{ field: string; from: unknown; to: unknown }>;
  summary: string;
}

/** Who caused an audited change, in the words of the audit trail (one list for the type and the HTTP schema). */
export const auditSources = ['platform', 'calcom_webhook', 'calcom_reconciliation', 'sync'] as const;
export type AuditSource = (typeof auditSources)[number];

function sourceOf(actor: Actor): AuditSource {
  if (actor.startsWith('admin:')) return 'platform';
  if (actor === 'calcom:webhook') return 'calcom_webhook';
  if (actor === 'calcom:reconciliation') return 'calcom_reconciliation';
  return 'sync';
}

const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

function describe(event: ServiceEvent): Pick<AuditEntry, 'changes' | 'summary'> {
  switch (event.type) {
    case 'ServiceRegistered': {
      const fields = event.data.fields as Record<string, unknown>;
      const changes = fieldNames.map((field) => ({ field, from: null, to: fields[field] }));
      const how = event.data.origin === 'calcom_import' ? 'Imported from Cal.com' : 'Registered';
      return { changes, summary: `${how} "${event.data.fields.name}".` };
    }
    case 'ServiceEdited': {
      const list = event.data.changes.map((c) => `${c.field} ${show(c.from)} → ${show(c.to)}`).join(', ');
      const why = event.data.reason === 'accept_calcom' ? 'Accepted Cal.com’s values' : 'Edited';
      return { changes: event.data.changes, summary: `${why}: ${list}.` };
    }
    case 'CalcomLinked':
      return {
        changes: [],
        summary: `Linked to Cal.com event type ${event.data.eventTypeId} of team ${event.data.teamId}.`,
      };
    case 'CalcomUnlinked':
      return {
        changes: [],
        summary: `Unlinked from Cal.com event type ${event.data.eventTypeId}: ${event.data.reason}.`,
      };
    case 'SyncRequested':
      return {
        changes: [],
        summary: `Sync ${event.data.syncId} requested (${event.data.trigger}): ${event.data.operation === 'create' ? 'create an event type' : `update event type ${event.data.eventTypeId}`}.`,
      };
    case 'SyncSucceeded':
      return {
        changes: [],
        summary: `Cal.com accepted sync ${event.data.syncId} after ${event.data.attempts} attempt(s) in ${event.data.durationMs} ms.`,
      };
    case 'SyncFailed':
      return {
        changes: [],
        summary: `Sync ${event.data.syncId} attempt ${event.data.attempt} failed (${event.data.kind}${event.data.httpStatus ? ` ${event.data.httpStatus}` : ''}: ${event.data.message}); ${event.data.final ? 'final.' : `retry at ${event.data.retryAt}.`}`,
      };
    case 'CalcomDiverged':
      return {
        changes: event.data.fields.map((f) => ({ field: f.field, from: f.platform, to: f.calcom })),
        summary: `Cal.com holds other values (${event.data.source}): ${event.data.fields.map((f) => `${f.field} platform ${show(f.platform)} vs Cal.com ${show(f.calcom)}`).join(', ')}.`,
      };
    case 'DivergenceResolved':
      return {
        changes: event.data.decisions
          .filter((d) => d.decision === 'accept_calcom')
          .map((d) => ({ field: d.field, from: d.platform, to: d.calcom })),
        summary: event.data.converged
          ? `Cal.com holds the platform’s values again (${event.data.decisions.map((d) => d.field).join(', ')}): divergence closed.`
          : `Divergence resolved: ${event.data.decisions.map((d) => `${d.field} ${d.decision}`).join(', ')}.`,
      };
    case 'CalcomEventTypeMissing':
      return {
        changes: [],
        summary: `Cal.com event type ${event.data.eventTypeId} is missing (${event.data.evidence.replaceAll('_', ' ')}).`,
      };
    case 'SyncStatusReset':
      return {
        changes: [],
        summary: `Sync status reset from "${event.data.previousStatus}"; a fresh push was requested.`,
      };
  }
}

/** The audit entry of one stored service event. */
export function auditEntry(event: ServiceEvent, position: string): AuditEntry {
  return {
    position,
    at: event.data.at,
    serviceId: event.data.serviceId,
    event: event.type,
    actor: event.data.actor,
    source: sourceOf(event.data.actor),
    ...describe(event),
  };
}
