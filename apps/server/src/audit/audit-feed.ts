import { type AuditEntry, auditEntry, SERVICE_STREAM_PREFIX, serviceStreamName } from '@calsync/domain';
import type { EventStore, ReadError } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import type { Logger } from 'pino';
import { fromRecorded } from '../services/event-codec.js';

/**
 * The data field of every service event that names its company. The feed reads by it, and
 * the SQL engines keep an index on it (pass `auditIndexedDataFields` when opening the store).
 */
export const COMPANY_DATA_FIELD = 'companyId';
export const auditIndexedDataFields: readonly string[] = [COMPANY_DATA_FIELD];

export interface AuditPage {
  items: AuditEntry[];
  /** The cursor of the next page (the last item's position), or null after the last page. */
  next: string | null;
}

export type AuditError =
  | { code: 'INVALID_CURSOR'; message: string }
  | { code: 'STORE_UNAVAILABLE'; message: string }
  | { code: 'INTERNAL'; message: string };

const STORE_UNAVAILABLE_MESSAGE = 'The event store did not answer; try again shortly.';
const INTERNAL_MESSAGE =
  'calsync could not read the audit trail because of an internal error. The operators have the details in the log.';

/**
 * The audit trails of docs/http-contract.md, read straight from the store (always current):
 * one service's stream, or one company's service events in commit order. The company feed
 * asks the store for that company's events only (a filter on the events' `companyId`), so a
 * page costs the page, not every company's events before it.
 */
export class AuditFeed {
  constructor(
    private readonly store: EventStore,
    private readonly logger?: Pick<Logger, 'warn' | 'error'>,
  ) {}

  /** A service's trail, oldest first. The caller checks the service belongs to the company. */
  async serviceTrail(serviceId: string): Promise<Result<AuditEntry[], AuditError>> {
    const recorded = await this.store.readStream(serviceStreamName(serviceId));
    if (recorded.isErr()) return err(this.fromReadError(recorded.error));
    return ok(recorded.value.map((event) => auditEntry(fromRecorded(event), event.position)));
  }

  /** Up to `limit` entries of the company after the cursor (a position the feed handed out). */
  async companyPage(
    companyId: string,
    limit: number,
    after?: string,
  ): Promise<Result<AuditPage, AuditError>> {
    const read = await this.store.readAll({
      ...(after === undefined ? {} : { after }),
      streamPrefixes: [SERVICE_STREAM_PREFIX],
      where: { dataField: COMPANY_DATA_FIELD, equals: companyId },
      maxCount: limit,
    });
    if (read.isErr()) return err(this.fromReadError(read.error, after));
    const items = read.value.map((recorded) => auditEntry(fromRecorded(recorded), recorded.position));
    return ok({ items, next: items.length === limit ? (read.value.at(-1)?.position ?? null) : null });
  }

  /** A bad cursor is the client's (400); an unreachable store 503, an engine error 500; causes logged. */
  private fromReadError(error: ReadError, after?: string): AuditError {
    switch (error.code) {
      case 'EVENTSTORE.INVALID_POSITION':
        return {
          code: 'INVALID_CURSOR',
          message: `The cursor "${after ?? ''}" is not a position of this feed. Start again without "after".`,
        };
      case 'EVENTSTORE.UNAVAILABLE':
        this.logger?.warn({ err: error.cause, storeError: error.message }, 'The event store did not answer');
        return { code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_MESSAGE };
      case 'EVENTSTORE.ENGINE_FAILED':
        this.logger?.error({ err: error.cause, storeError: error.message }, 'The event store failed');
        return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
    }
  }
}
