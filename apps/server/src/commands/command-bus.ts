import type { DomainError } from '@calsync/domain';
import {
  type AppendError,
  type EventStore,
  expected,
  isConnectionError,
  type NewEvent,
  type RecordedEvent,
  type StoreFailure,
} from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import type { Logger } from 'pino';
import { noteWrite } from './write-positions.js';

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

/** A state and the number of events of its stream it includes (the stream's next revision). */
export interface Versioned<State> {
  state: State;
  revision: number;
}

/**
 * One kind of stream as the command bus runs it (docs/architecture.md): a pure decider of
 * packages/domain, and how its events are stored and read back.
 */
export interface StreamDecider<Command, Event, State, DecideError> {
  streamOf(command: Command): string;
  initialState(): State;
  decide(command: Command, state: State): Result<Event[], DecideError>;
  evolve(state: State, event: Event): State;
  /** The event as the store keeps it, validated (an invalid one is a bug of the decider: throws). */
  encode(event: Event, id: string): NewEvent;
  /**
   * A stored event of the stream, validated; null for an event of another feature on the same
   * stream (counted in the revision, not applied). A stored event that fails is corrupt: throws.
   */
  decode(recorded: RecordedEvent): Event | null;
  /** A refusal before deciding, e.g. another tenant's service (indistinguishable from none). */
  refuse?(command: Command, state: State): DecideError | null;
  /** What a caller is told when other writers kept changing the stream. */
  busyMessage(command: Command): string;
}

/**
 * Where the bus takes the state a command is decided on, and hands what it wrote: the status
 * projection, the only writer of read-model state (it applies by revision).
 */
export interface DecisionStates<State, Event> {
  /** The read model's state of the stream, if it has one. */
  cached(stream: string): Versioned<State> | undefined;
  /** A state folded from the stream itself (after a conflict or a redelivery). */
  loaded(stream: string, state: Versioned<State>): void;
  /** Events this process appended at `fromRevision` (read-your-writes, no store read). */
  appended(stream: string, fromRevision: number, events: readonly Event[]): void;
}

export interface Decided<State, Event> {
  /** The stream's state after the command (unchanged when it appended nothing). */
  state: State;
  revision: number;
  /** What the command appended; [] when it changed nothing. */
  events: Event[];
}

export interface ExecuteOptions<Event> {
  /** Deterministic event ids (idempotent redelivery); default: fresh ids. */
  eventId?: (event: Event, index: number) => string;
}

/** How often a command is decided again when another writer appended in between. */
export const MAX_CONFLICT_RETRIES = 8;

/**
 * The one command bus of every stream: take the state, decide, append with the state's revision
 * as the expected one. The first attempt decides on the read model's state (it follows every
 * append); a stale one is caught by the expected revision, and each retry reads the stream
 * itself, so a concurrent append makes the command be decided again on the new state (an
 * If-Match edit then fails as REVISION_CONFLICT in the decider). Retries are capped.
 */
export class CommandBus {
  constructor(
    private readonly store: EventStore,
    private readonly newId: () => string,
    /** Receives the store's own errors; the client only ever gets a fixed message. */
    readonly logger?: StoreErrorLogger,
  ) {}

  async execute<Command, Event, State, DecideError>(
    decider: StreamDecider<Command, Event, State, DecideError>,
    states: DecisionStates<State, Event>,
    command: Command,
    options: ExecuteOptions<Event> = {},
  ): Promise<Result<Decided<State, Event>, DecideError | CommandError>> {
    const stream = decider.streamOf(command);
    let trustCache = true;
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const cached = trustCache && attempt === 0 ? states.cached(stream) : undefined;
      const current = cached ? ok(cached) : await this.load(decider, states, stream);
      if (current.isErr()) return err(current.error);
      const { state, revision } = current.value;
      const refusal = decider.refuse?.(command, state) ?? null;
      const decision = refusal === null ? decider.decide(command, state) : err(refusal);
      if (decision.isErr()) {
        // The read model may lag behind another instance's append (a service registered there a
        // moment ago, an If-Match of its newer revision): refuse only on the stream as stored.
        if (cached) {
          trustCache = false;
          attempt--;
          continue;
        }
        return err(decision.error);
      }
      const events = decision.value;
      if (events.length === 0) return ok({ state, revision, events });
      const newEvents = events.map((event, index) =>
        decider.encode(event, options.eventId ? options.eventId(event, index) : this.newId()),
      );
      const appended = await this.store.appendToStream(
        stream,
        newEvents,
        expected.exact(BigInt(revision - 1)),
      );
      if (appended.isErr()) {
        if (appended.error.code === 'EVENTSTORE.WRONG_EXPECTED_REVISION') continue;
        return err(fromAppendError(appended.error, this.logger));
      }
      noteWrite(appended.value.position);
      if (appended.value.written < events.length) {
        // Some (or all) event ids were stored before, a redelivery: what the stream holds counts.
        const reloaded = await this.load(decider, states, stream);
        if (reloaded.isErr()) return err(reloaded.error);
        return ok({ ...reloaded.value, events: appended.value.written === 0 ? [] : events });
      }
      states.appended(stream, revision, events);
      return ok({ state: events.reduce(decider.evolve, state), revision: revision + events.length, events });
    }
    return err({ code: 'STORE_UNAVAILABLE', message: decider.busyMessage(command) });
  }

  /** Folds the stream as stored and hands the state to the read model. */
  private async load<Command, Event, State, DecideError>(
    decider: StreamDecider<Command, Event, State, DecideError>,
    states: DecisionStates<State, Event>,
    stream: string,
  ): Promise<Result<Versioned<State>, CommandError>> {
    const read = await this.store.readStream(stream);
    if (read.isErr()) return err(fromStoreFailure(read.error, this.logger));
    let loaded: Versioned<State>;
    try {
      loaded = foldStream(decider, read.value);
    } catch (cause) {
      // A stored event that fails its schema: corrupt data, not the client's doing.
      return err(unavailable(cause, this.logger));
    }
    states.loaded(stream, loaded);
    return ok(loaded);
  }
}

/** The state of a stream after its stored events (events of other features only count). */
export function foldStream<Event, State>(
  kind: Pick<StreamDecider<unknown, Event, State, unknown>, 'initialState' | 'evolve' | 'decode'>,
  recorded: readonly RecordedEvent[],
): Versioned<State> {
  let state = kind.initialState();
  for (const event of recorded) {
    const decoded = kind.decode(event);
    if (decoded !== null) state = kind.evolve(state, decoded);
  }
  const last = recorded.at(-1);
  return { state, revision: last ? Number(last.revision) + 1 : 0 };
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

/** A read the store could not answer: unreachable → 503, an engine error → 500; the cause logged. */
export function fromStoreFailure(error: StoreFailure, logger?: StoreErrorLogger): CommandError {
  return fromAppendError(error, logger);
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
