import {
  type DomainError,
  decide,
  evolve,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
  serviceNotFound,
  serviceStreamName,
} from '@calsync/domain';
import { type AppendError, type EventStore, expected, isConnectionError } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import type { Logger } from 'pino';
import { toNewEvent } from './event-codec.js';
import type { ServiceReadModel } from './service-read-model.js';

export interface StoreUnavailableError {
  code: 'STORE_UNAVAILABLE';
  message: string;
}

/** The store answered with an error of its own: a bug or a broken engine, not the client's doing. */
export interface InternalError {
  code: 'INTERNAL';
  message: string;
}

export type CommandError = DomainError | StoreUnavailableError | InternalError;

/** Fixed texts: what a client sees never carries the driver's words (docs/http-contract.md). */
export const STORE_UNAVAILABLE_MESSAGE = 'The event store did not answer; try again shortly.';
export const INTERNAL_MESSAGE =
  'calsync could not store the change because of an internal error; nothing was changed. The operators have the details in the log.';

/** Where the store's own error (with the driver's text) goes: the log, never the client. */
export type StoreErrorLogger = Pick<Logger, 'error' | 'warn'>;

export interface CommandOutcome {
  /** The service after the command (unchanged when it appended nothing). */
  state: ServiceState;
  /** What the command appended; [] when it changed nothing. */
  events: ServiceEvent[];
}

export interface CommandOptions {
  /** Deterministic event ids (idempotent redelivery); default: fresh UUIDs. */
  eventId?: (event: ServiceEvent, index: number) => string;
}

/** How often a command is re-decided when another writer appended in between. */
const MAX_CONFLICT_RETRIES = 8;

/**
 * Runs service commands: read the stream, decide, append with the read revision as the
 * expected one. A concurrent append makes the decision stale, so the command is decided
 * again on the new state (an If-Match edit then fails as REVISION_CONFLICT in the decider).
 */
export class ServiceCommandBus {
  constructor(
    private readonly store: EventStore,
    private readonly readModel: ServiceReadModel,
    private readonly newId: () => string,
    /** Receives the store's own errors; the client only ever gets a fixed message. */
    readonly logger?: StoreErrorLogger,
  ) {}

  async execute(
    command: ServiceCommand,
    options: CommandOptions = {},
  ): Promise<Result<CommandOutcome, CommandError>> {
    const stream = serviceStreamName(command.serviceId);
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      let state: ServiceState;
      try {
        // First decide on the read model's state (it follows every append); a stale one is
        // caught by the expected revision, and the retry reads the stream itself.
        const cached = attempt === 0 ? this.readModel.get(command.serviceId) : undefined;
        state = cached ?? (await this.readModel.reload(command.serviceId));
      } catch (cause) {
        return err(unavailable(cause, this.logger));
      }
      if (state.exists && state.companyId !== command.companyId && command.type !== 'RegisterService') {
        // Another tenant's service is indistinguishable from one that does not exist.
        return err(serviceNotFound(command.serviceId));
      }
      const decision = decide(command, state);
      if (decision.isErr()) return err(decision.error);
      const events = decision.value;
      if (events.length === 0) return ok({ state, events });
      const newEvents = events.map((event, index) =>
        toNewEvent(event, options.eventId ? options.eventId(event, index) : this.newId()),
      );
      const appended = await this.store.appendToStream(
        stream,
        newEvents,
        expected.exact(BigInt(state.revision - 1)),
      );
      if (appended.isErr()) {
        if (appended.error.code === 'EVENTSTORE.WRONG_EXPECTED_REVISION') continue;
        return err(fromAppendError(appended.error, this.logger));
      }
      if (appended.value.written === 0) {
        // Every event id was stored before (a redelivery): nothing new happened.
        return ok({ state: await this.readModel.reload(command.serviceId), events: [] });
      }
      if (appended.value.written < events.length) {
        return ok({ state: await this.readModel.reload(command.serviceId), events });
      }
      await this.readModel.applyAppended(command.serviceId, state.revision, events);
      return ok({ state: events.reduce(evolve, state), events });
    }
    return err({
      code: 'STORE_UNAVAILABLE',
      message: `Service "${command.serviceId}" is being changed by many writers at once; the command could not be applied. Retry in a moment.`,
    });
  }
}

/**
 * A store call that threw (a read): unreachable → 503 STORE_UNAVAILABLE, anything else →
 * 500 INTERNAL; both with a fixed message, the cause logged.
 */
export function unavailable(
  cause: unknown,
  logger?: StoreErrorLogger,
): StoreUnavailableError | InternalError {
  if (isConnectionError(cause)) {
    logger?.warn({ err: cause }, 'The event store did not answer');
    return { code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_MESSAGE };
  }
  logger?.error({ err: cause }, 'The event store failed');
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
}

/**
 * A refused append, other than a stale revision: an unstorable event is the client's
 * (400 VALIDATION_FAILED, the store's message names the problem and its path, not the value);
 * an unreachable store is 503; an engine error is 500. Causes go to the log only.
 */
export function fromAppendError(
  error: Exclude<AppendError, { code: 'EVENTSTORE.WRONG_EXPECTED_REVISION' }>,
  logger?: StoreErrorLogger,
): CommandError {
  switch (error.code) {
    case 'EVENTSTORE.UNSTORABLE_EVENT':
      return {
        code: 'VALIDATION_FAILED',
        message: `${error.message}. Correct it and retry.`,
        details: { issues: [{ path: error.path, message: error.message }] },
      };
    case 'EVENTSTORE.UNAVAILABLE':
      logger?.warn({ err: error.cause, storeError: error.message }, 'The event store did not answer');
      return { code: 'STORE_UNAVAILABLE', message: STORE_UNAVAILABLE_MESSAGE };
    case 'EVENTSTORE.ENGINE_FAILED':
      logger?.error({ err: error.cause, storeError: error.message }, 'The event store failed');
      return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
  }
}
