import { expect } from 'vitest';
import {
  type DomainError,
  type DomainErrorCode,
  decide,
  evolve,
  foldService,
  parseServiceEvent,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
} from '../src/index.js';

/**
 * A decider specification in the style of Emmett's DeciderSpecification:
 * `given(...history).when(command).thenEmits(events)`, `.thenNothing()` or `.thenFails(code)`.
 *
 * (Not `.then(...)`: an object with a `then` method is a thenable and would confuse `await`.)
 * Every event the decider emits is also checked against its schema, the way the store checks it
 * on write and on read, and folded into the state, so each scenario also proves that evolve
 * accepts what decide produces.
 */
export interface Outcome {
  /** The command succeeds with exactly these events. */
  thenEmits(expected: ServiceEvent[]): ServiceState;
  /** The command succeeds and appends nothing. */
  thenNothing(): ServiceState;
  /** The command is refused with this code; returns the error to inspect its message. */
  thenFails(code: DomainErrorCode): DomainError;
  /** The events the command emits (asserting it succeeds), for scenarios that check a part of them. */
  events(): ServiceEvent[];
  /** The state after the emitted events are appended. */
  state(): ServiceState;
}

export function given(...history: ServiceEvent[]) {
  return {
    when(command: ServiceCommand): Outcome {
      const before = foldService(history);
      const result = decide(command, before);
      const emitted = (): ServiceEvent[] => {
        if (result.isErr()) {
          throw new Error(
            `expected ${command.type} to succeed, it failed: ${result.error.code} ${result.error.message}`,
          );
        }
        for (const event of result.value) expectValidOnWriteAndRead(event);
        return result.value;
      };
      const after = () => emitted().reduce(evolve, before);
      return {
        thenEmits(expected) {
          expect(emitted()).toEqual(expected);
          return after();
        },
        thenNothing() {
          expect(emitted()).toEqual([]);
          return after();
        },
        thenFails(code) {
          expect(result.isErr(), `expected ${command.type} to fail with ${code}`).toBe(true);
          const error = result._unsafeUnwrapErr();
          expect(error.code).toBe(code);
          expect(error.message.length).toBeGreaterThan(20);
          return error;
        },
        events: emitted,
        state: after,
      };
    },
  };
}

/** The state after a history, for projections and queries. */
export function stateAfter(...history: ServiceEvent[]): ServiceState {
  return foldService(history);
}

/** The events a sequence of commands produces, each decided against the state before it. */
export function history(...commands: ServiceCommand[]): ServiceEvent[] {
  const events: ServiceEvent[] = [];
  let state = foldService([]);
  for (const command of commands) {
    const decided = decide(command, state);
    if (decided.isErr()) {
      throw new Error(`history: ${command.type} failed: ${decided.error.code} ${decided.error.message}`);
    }
    events.push(...decided.value);
    state = decided.value.reduce(evolve, state);
  }
  return events;
}

/** An emitted event passes its schema, and reading back its JSON gives the same event. */
export function expectValidOnWriteAndRead(event: ServiceEvent): void {
  const onWrite = parseServiceEvent(event.type, event.data);
  expect(onWrite.isOk(), `${event.type} fails its schema: ${JSON.stringify(onWrite)}`).toBe(true);
  const onRead = parseServiceEvent(event.type, JSON.parse(JSON.stringify(event.data)));
  expect(onRead._unsafeUnwrap()).toEqual(event);
}
