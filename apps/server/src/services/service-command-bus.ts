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
import { type EventStore, expected } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import { toNewEvent } from './event-codec.js';
import type { ServiceReadModel } from './service-read-model.js';

export interface StoreUnavailableError {
  code: 'STORE_UNAVAILABLE';
  message: string;
}

export type CommandError = DomainError | StoreUnavailableError;

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
        return err(unavailable(cause));
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
        return err(unavailable(appended.error));
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

export function unavailable(cause: unknown): StoreUnavailableError {
  const detail = cause instanceof Error ? cause.message : JSON.stringify(cause);
  return {
    code: 'STORE_UNAVAILABLE',
    message: `The event store could not be reached (${detail}). Nothing was changed; retry when /health/ready answers 200.`,
  };
}
