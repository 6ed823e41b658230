import { createHash } from 'node:crypto';
import { parseWebhookDelivery, verifyWebhookSignature, type WebhookDelivery } from '@calsync/calcom';
import type { ServiceEvent, ServiceState } from '@calsync/domain';
import { err, ok, type Result } from 'neverthrow';
import type { CalcomDirectory } from '../calcom/calcom-directory.js';
import { toCalcomSnapshot } from '../calcom/calcom-translation.js';
import type { CommandError, ServiceCommandBus } from '../services/service-command-bus.js';
import type { ServiceReadModel } from '../services/service-read-model.js';

export type WebhookOutcome =
  | 'acknowledged'
  | 'diverged'
  | 'confirmed'
  | 'marked_missing'
  | 'unknown_event_type'
  | 'import_candidate';

export interface WebhookReceipt {
  trigger: string;
  outcome: WebhookOutcome;
  serviceId: string | null;
}

export type WebhookError =
  | { code: 'WEBHOOK_UNAUTHENTICATED'; message: string }
  | { code: 'WEBHOOK_MALFORMED'; message: string }
  | CommandError;

/**
 * Inbound Cal.com webhooks (docs/sync.md): authenticate the raw bytes, then turn relayed
 * event-type changes into observations. Nothing that arrives here edits a platform field.
 * Event ids are derived from the body, so a redelivery of the same bytes is stored once.
 */
export class WebhookInbox {
  constructor(
    private readonly directory: CalcomDirectory,
    private readonly readModel: ServiceReadModel,
    private readonly commands: ServiceCommandBus,
    private readonly clock: () => Date,
  ) {}

  async receive(
    companyId: string,
    rawBody: Buffer,
    signature: string | undefined,
  ): Promise<Result<WebhookReceipt, WebhookError>> {
    const access = this.directory.forCompany(companyId);
    const verdict = access
      ? verifyWebhookSignature(rawBody, signature, access.settings.webhookSecret)
      : 'invalid';
    if (!access || verdict !== 'valid') return err(unauthenticated(companyId, verdict, Boolean(access)));
    const delivery = parseWebhookDelivery(rawBody);
    if (delivery.isErr()) {
      return err({
        code: 'WEBHOOK_MALFORMED',
        message: `The webhook body is not a Cal.com delivery (${delivery.error.message}). Nothing was stored.`,
      });
    }
    const bodyDigest = createHash('sha256').update(rawBody).digest('hex');
    return this.dispatch(companyId, access.settings.teamId, delivery.value, bodyDigest);
  }

  private async dispatch(
    companyId: string,
    teamId: number,
    delivery: WebhookDelivery,
    bodyDigest: string,
  ): Promise<Result<WebhookReceipt, WebhookError>> {
    const trigger = delivery.triggerEvent;
    if (delivery.kind !== 'eventTypeUpdated' && delivery.kind !== 'eventTypeDeleted') {
      const outcome =
        delivery.kind === 'eventTypeCreated' ? this.creationOutcome(companyId, delivery) : 'acknowledged';
      return ok({ trigger, outcome, serviceId: null });
    }
    const eventTypeId = delivery.kind === 'eventTypeUpdated' ? delivery.eventType.id : delivery.eventTypeId;
    const service = this.linkedService(companyId, teamId, eventTypeId);
    if (!service) return ok({ trigger, outcome: 'unknown_event_type', serviceId: null });
    const meta = {
      serviceId: service.serviceId,
      companyId,
      actor: 'calcom:webhook' as const,
      at: this.clock().toISOString(),
    };
    const eventId = (_event: ServiceEvent, index: number) =>
      deterministicUuid(`${bodyDigest}:${service.serviceId}:${index}`);
    const result =
      delivery.kind === 'eventTypeUpdated'
        ? await this.commands.execute(
            {
              ...meta,
              type: 'RecordCalcomObservation',
              source: 'webhook',
              snapshot: toCalcomSnapshot(delivery.eventType, teamId),
            },
            { eventId },
          )
        : await this.commands.execute(
            { ...meta, type: 'MarkCalcomEventTypeMissing', eventTypeId, evidence: 'webhook_deleted' },
            { eventId },
          );
    if (result.isErr()) return err(result.error);
    const outcome: WebhookOutcome =
      delivery.kind === 'eventTypeDeleted'
        ? 'marked_missing'
        : result.value.state.divergence
          ? 'diverged'
          : 'confirmed';
    return ok({ trigger, outcome, serviceId: service.serviceId });
  }

  private creationOutcome(
    companyId: string,
    delivery: WebhookDelivery & { kind: 'eventTypeCreated' },
  ): WebhookOutcome {
    const teamId = this.directory.forCompany(companyId)?.settings.teamId ?? null;
    return this.linkedService(companyId, teamId, delivery.eventType.id) ? 'acknowledged' : 'import_candidate';
  }

  private linkedService(
    companyId: string,
    teamId: number | null,
    eventTypeId: number,
  ): ServiceState | undefined {
    return this.readModel
      .listCompany(companyId)
      .find((state) => state.link?.eventTypeId === eventTypeId && state.link.teamId === teamId);
  }
}

function unauthenticated(companyId: string, verdict: string, known: boolean): WebhookError {
  const why = !known
    ? `no Cal.com webhook secret is configured for company "${companyId}"`
    : verdict === 'missing'
      ? 'the X-Cal-Signature-256 header is missing'
      : verdict === 'unsigned'
        ? 'the delivery is unsigned (no-secret-provided): set the webhook secret in Cal.com'
        : 'the X-Cal-Signature-256 signature does not match the body';
  return {
    code: 'WEBHOOK_UNAUTHENTICATED',
    message: `The webhook was rejected because ${why}. Nothing was stored; check the webhook secret configured in Cal.com and in calsync.`,
  };
}

/** A UUID (v8 layout) derived from a name, so the same delivery always yields the same event ids. */
export function deterministicUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
