import type { ResultAsync } from 'neverthrow';
import { CaughtUpWaiters } from './caught-up-waiters.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { invalidPosition, isInvalidPosition } from './errors.js';
import type {
  CheckpointStore,
  ReadAllOptions,
  ReadError,
  RecordedEvent,
  StoreFailure,
  Subscription,
  SubscriptionOptions,
} from './port.js';

/** What a catch-up subscription needs from an engine. */
export interface CatchUpSource {
  readAll(options: ReadAllOptions): ResultAsync<RecordedEvent[], ReadError>;
  /** Must only return a position once every event before it is visible to readAll. */
  headPosition(): ResultAsync<string | undefined, StoreFailure>;
  comparePositions(a: string, b: string): number;
  /** Calls `onAppend` whenever events may have been appended; returns the unsubscribe. */
  watchAppends(onAppend: () => void): () => void;
  readonly checkpoints: CheckpointStore;
  /**
   * Fallback poll while idle, in case an append signal is lost (e.g. a dropped LISTEN
   * connection). Undefined: the signal is reliable (in-process), never poll.
   */
  readonly pollIntervalMs?: number;
}

const PAGE_SIZE = 1000;
/** Pause before retrying after the store failed, when the engine does not poll. */
const RETRY_AFTER_FAILURE_MS = 1000;

/** Wraps what a handler threw, to tell it apart from the store failing. */
export class HandlerFailed {
  constructor(readonly error: unknown) {}
}

/**
 * Catch up by reading pages, then wait for an append signal and catch up again. Because
 * every pass starts by noting the head, "handled everything up to the head noted at the
 * start of the last pass" is exact, also when a prefix filter hides most events.
 */
class CatchUpSubscription implements Subscription {
  #cursor: string | undefined;
  #handledTo: string | undefined;
  #stopped = false;
  #failure: HandlerFailed | undefined;
  #wakeRequested = false;
  #wake: (() => void) | undefined;
  readonly #waiters = new CaughtUpWaiters();
  readonly #checkpoint: CheckpointWriter | undefined;
  readonly #unwatch: () => void;
  readonly #loop: Promise<void>;

  constructor(
    private readonly source: CatchUpSource,
    private readonly options: SubscriptionOptions,
  ) {
    this.#checkpoint =
      options.checkpointName === undefined
        ? undefined
        : new CheckpointWriter(source.checkpoints, options.checkpointName);
    this.#unwatch = source.watchAppends(() => this.#requestWake());
    this.#loop = this.#run();
  }

  get lastPosition(): string | undefined {
    return this.#cursor;
  }

  async caughtUp(): Promise<void> {
    this.#throwIfUnusable();
    const target = await this.#head();
    this.#throwIfUnusable();
    if (target !== undefined && !this.#hasHandled(target)) {
      const reached = this.#waiters.wait(target);
      this.#requestWake();
      await reached;
    }
    await this.#checkpoint?.flush();
  }

  async reached(position: string): Promise<void> {
    this.#throwIfUnusable();
    try {
      this.source.comparePositions(position, position);
    } catch {
      throw invalidPosition(position, 'unparsable');
    }
    if (this.#hasHandled(position)) return;
    // A position beyond the head was never issued by this store: waiting would never end.
    const head = await this.#head();
    if (head === undefined || this.source.comparePositions(position, head) > 0) {
      throw invalidPosition(position, 'unknown');
    }
    if (this.#hasHandled(position)) return;
    const reached = this.#waiters.wait(position);
    this.#requestWake();
    await reached;
  }

  async stop(): Promise<void> {
    this.#halt();
    await this.#loop;
    this.#rejectWaiters(new Error('The subscription stopped before it caught up'));
    await this.#checkpoint?.flush().catch((error: unknown) => this.options.onError?.(error));
  }

  #throwIfUnusable(): void {
    if (this.#failure) throw this.#failure.error;
    if (this.#stopped) throw new Error('The subscription is stopped');
  }

  #hasHandled(target: string): boolean {
    return this.#handledTo !== undefined && this.source.comparePositions(this.#handledTo, target) >= 0;
  }

  #halt(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unwatch();
    this.#wake?.();
  }

  #requestWake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let started = false;
    let firstPass = true;
    while (!this.#stopped) {
      this.#wakeRequested = false;
      try {
        if (!started) {
          this.#cursor = await this.#startPosition();
          started = true;
        }
        const target = await this.#head();
        const handled = await this.#drain();
        if (this.#stopped) break;
        await this.#checkpoint?.flush();
        if (target !== undefined && !this.#hasHandled(target)) this.#handledTo = target;
        this.#settleWaiters();
        if (handled > 0 || firstPass) this.options.onCaughtUp?.(this.#cursor);
        firstPass = false;
      } catch (error) {
        if (error instanceof HandlerFailed) return await this.#fail(error.error);
        // A start position the store never issued stays wrong: stop rather than skip or spin.
        if (isInvalidPosition(error)) return await this.#fail(error);
        // The store failed (connection lost…): report it and try again, never skip.
        this.options.onError?.(error);
        await this.#idle(this.source.pollIntervalMs ?? RETRY_AFTER_FAILURE_MS);
        continue;
      }
      if (!this.#wakeRequested) await this.#idle(this.source.pollIntervalMs);
    }
  }

  async #startPosition(): Promise<string | undefined> {
    const { checkpointName, after } = this.options;
    if (checkpointName === undefined) return after;
    const loaded = await this.source.checkpoints.load(checkpointName);
    // The typed error travels to `onError` as it is (the loop retries a store failure).
    if (loaded.isErr()) throw loaded.error;
    return loaded.value ?? after;
  }

  /** Handles every visible event after the cursor; returns how many it handled. */
  async #drain(): Promise<number> {
    const { handler, streamPrefixes } = this.options;
    let handled = 0;
    for (;;) {
      const read = await this.source.readAll({ after: this.#cursor, streamPrefixes, maxCount: PAGE_SIZE });
      // The typed error travels to `onError` as it is (the loop retries a store failure).
      if (read.isErr()) throw read.error;
      const page = read.value;
      for (const event of page) {
        if (this.#stopped) return handled;
        try {
          await handler(event);
        } catch (error) {
          throw new HandlerFailed(error);
        }
        this.#checkpoint?.record(event.position);
        this.#cursor = event.position;
        handled += 1;
      }
      if (page.length < PAGE_SIZE) return handled;
    }
  }

  /** The store's head; a failure is thrown as the store's typed error. */
  async #head(): Promise<string | undefined> {
    const head = await this.source.headPosition();
    if (head.isErr()) throw head.error;
    return head.value;
  }

  #idle(timeoutMs: number | undefined): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
      this.#wake = done;
    });
  }

  #settleWaiters(): void {
    this.#waiters.settle((target) => this.#hasHandled(target));
  }

  #rejectWaiters(error: unknown): void {
    this.#waiters.rejectAll(error);
  }

  async #fail(error: unknown): Promise<void> {
    this.#failure = new HandlerFailed(error);
    this.#halt();
    // Whoever hears of the failure can rely on the checkpoint naming the last good event.
    await this.#checkpoint?.flush().catch((flushError: unknown) => this.options.onError?.(flushError));
    this.#rejectWaiters(error);
    this.options.onError?.(error);
  }
}

/** Starts a subscription that catches up from its checkpoint, then follows live appends. */
export const startCatchUpSubscription = (source: CatchUpSource, options: SubscriptionOptions): Subscription =>
  new CatchUpSubscription(source, options);
