import type { DomainError, ServiceCommand, ServiceEvent, ServiceState } from '@calsync/domain';
import type { EventStore } from '@calsync/eventstore';
import type { Result } from 'neverthrow';
import {
  CommandBus,
  type CommandError,
  type DecisionStates,
  type ExecuteOptions,
  type StoreErrorLogger,
} from '../commands/command-bus.js';
import { serviceDecider } from '../commands/stream-deciders.js';

export {
  type CommandError,
  fromAppendError,
  INTERNAL_MESSAGE,
  type InternalError,
  STORE_UNAVAILABLE_MESSAGE,
  type StoreErrorLogger,
  type StoreUnavailableError,
  unavailable,
} from '../commands/command-bus.js';

export interface CommandOutcome {
  /** The service after the command (unchanged when it appended nothing). */
  state: ServiceState;
  /** What the command appended; [] when it changed nothing. */
  events: ServiceEvent[];
}

export type CommandOptions = ExecuteOptions<ServiceEvent>;

/**
 * Runs service commands through the command bus (`commands/command-bus.ts`): decided on the
 * status projection's state, appended with its revision as the expected one, retried on a
 * concurrent append.
 */
export class ServiceCommandBus {
  constructor(
    private readonly bus: CommandBus,
    private readonly states: DecisionStates<ServiceState, ServiceEvent>,
  ) {}

  /** A bus of its own on `store`, deciding on (and feeding) the states of a status projection. */
  static over(
    store: EventStore,
    projection: { serviceStates: DecisionStates<ServiceState, ServiceEvent> },
    newId: () => string,
    logger?: StoreErrorLogger,
  ): ServiceCommandBus {
    return new ServiceCommandBus(new CommandBus(store, newId, logger), projection.serviceStates);
  }

  /** Receives the store's own errors; the client only ever gets a fixed message. */
  get logger() {
    return this.bus.logger;
  }

  async execute(
    command: ServiceCommand,
    options: CommandOptions = {},
  ): Promise<Result<CommandOutcome, CommandError | DomainError>> {
    const decided = await this.bus.execute(serviceDecider, this.states, command, options);
    return decided.map(({ state, events }) => ({ state, events }));
  }
}
