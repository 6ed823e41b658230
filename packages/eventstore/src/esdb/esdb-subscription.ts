import {
  type AllStreamSubscription,
  type EventStoreDBClient,
  excludeSystemEvents,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { HandlerFailed } from '../catch-up-subscription.js';
import { CaughtUpWaiters } from '../caught-up-waiters.js';
import { CheckpointWriter } from '../checkpoint-writer.js';
import { invalidPosition } from '../errors.js';
import type { CheckpointStore, Subscription, SubscriptionOptions } from '../port.js';
import { compareEsdbPositionTokens, decodeEsdbPosition, parseEsdbPosition } from './esdb-position.js';
import { isWantedEvent, recordedEventOf } from './esdb-recorded-event.js';

/** Pause before re-subscribing after the connection dropped. */
const RESUBSCRIBE_AFTER_MS = 1000;

export interface EsdbSubscriptionDeps {
  client: EventStoreDBClient;
  checkpoints: CheckpointStore;
  /** Newest wanted event after `after` (undefined: none), as `caughtUp` targets it. */
  lastWantedPosition(
    prefixes: readonly string[] | undefined,
    after: string | undefined,
  ): Promise<string | undefined>;
}

/**
 * A catch-up subscription to $all, filtered by stream prefix on the server, resuming
 * from our own checkpoint (not a persistent subscription: we own the position).
 */
export class EsdbSubscription implements Subscription {
  #cursor: string | undefined;
  #stopped = false;
  #failure: { error: unknown } | undefined;
  #current: AllStreamSubscription | undefined;
  #retry: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  readonly #waiters = new CaughtUpWaiters();
  readonly #checkpoint: CheckpointWriter | undefined;
  readonly #loop: Promise<void>;

  constructor(
    private readonly deps: EsdbSubscriptionDeps,
    private readonly options: SubscriptionOptions,
  ) {
    this.#checkpoint =
      options.checkpointName === undefined
        ? undefined
        : new CheckpointWriter(deps.checkpoints, options.checkpointName);
    this.#loop = this.#run();
  }

  get lastPosition(): string | undefined {
    return this.#cursor;
  }

  async caughtUp(): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    if (this.#stopped) throw new Error('The subscription is stopped');
    const target = await this.deps.lastWantedPosition(this.options.streamPrefixes, this.#cursor);
    if (target !== undefined && !this.#reached(target)) {
      await this.#waiters.wait(target);
    }
    await this.#checkpoint?.flush();
  }

  async reached(position: string): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    if (this.#stopped) throw new Error('The subscription is stopped');
    if (parseEsdbPosition(position) === undefined) throw invalidPosition(position, 'unparsable');
    if (!this.#reached(position)) await this.#waiters.wait(position);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#current?.unsubscribe().catch(() => undefined);
    if (this.#retry) {
      clearTimeout(this.#retry.timer);
      this.#retry.resolve();
    }
    await this.#loop;
    this.#rejectWaiters(new Error('The subscription stopped before it caught up'));
    await this.#checkpoint?.flush().catch((error: unknown) => this.options.onError?.(error));
  }

  #reached(target: string): boolean {
    return this.#cursor !== undefined && compareEsdbPositionTokens(this.#cursor, target) >= 0;
  }

  async #run(): Promise<void> {
    const { checkpointName, after } = this.options;
    let started = false;
    while (!this.#stopped) {
      try {
        if (!started) {
          this.#cursor = (await this.#checkpointPosition(checkpointName)) || after;
          started = true;
          // A start position the store never issued stays wrong: stop rather than spin.
          if (this.#cursor !== undefined && parseEsdbPosition(this.#cursor) === undefined)
            return await this.#fail(invalidPosition(this.#cursor, 'unparsable'));
          // A caller may already wait for a target the checkpoint is at or beyond.
          this.#settleWaiters();
        }
        await this.#follow();
      } catch (error) {
        if (error instanceof HandlerFailed) return await this.#fail(error.error);
        if (this.#stopped) return;
        this.options.onError?.(error);
        await this.#pause(RESUBSCRIBE_AFTER_MS);
      }
    }
  }

  /** The stored checkpoint, if any; a failed load is thrown as the store's typed error. */
  async #checkpointPosition(checkpointName: string | undefined): Promise<string | undefined> {
    if (!checkpointName) return undefined;
    const loaded = await this.deps.checkpoints.load(checkpointName);
    if (loaded.isErr()) throw loaded.error;
    return loaded.value;
  }

  /** Follows $all from the cursor until stopped or the connection drops (throws). */
  async #follow(): Promise<void> {
    const { streamPrefixes, handler } = this.options;
    const filter =
      streamPrefixes && streamPrefixes.length > 0
        ? streamNameFilter({ prefixes: [...streamPrefixes] })
        : excludeSystemEvents();
    const subscription = this.deps.client.subscribeToAll({
      fromPosition: this.#cursor === undefined ? START : decodeEsdbPosition(this.#cursor),
      filter,
    });
    this.#current = subscription;
    subscription.on('caughtUp', () => this.options.onCaughtUp?.(this.#cursor));
    try {
      for await (const resolved of subscription) {
        if (this.#stopped) return;
        const event = recordedEventOf(resolved);
        if (!event || !isWantedEvent(event, streamPrefixes)) continue;
        // The server resumes after the cursor, but never hand an event over twice.
        if (this.#cursor !== undefined && compareEsdbPositionTokens(event.position, this.#cursor) <= 0)
          continue;
        try {
          await handler(event);
        } catch (error) {
          throw new HandlerFailed(error);
        }
        this.#checkpoint?.record(event.position);
        this.#cursor = event.position;
        this.#settleWaiters();
      }
    } finally {
      this.#current = undefined;
      await subscription.unsubscribe().catch(() => undefined);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#retry = undefined;
        resolve();
      }, ms);
      this.#retry = { timer, resolve };
    });
  }

  #settleWaiters(): void {
    this.#waiters.settle((target) => this.#reached(target));
  }

  #rejectWaiters(error: unknown): void {
    this.#waiters.rejectAll(error);
  }

  async #fail(error: unknown): Promise<void> {
    this.#failure = { error };
    this.#stopped = true;
    // Whoever hears of the failure can rely on the checkpoint naming the last good event.
    await this.#checkpoint?.flush().catch((flushError: unknown) => this.options.onError?.(flushError));
    this.#rejectWaiters(error);
    this.options.onError?.(error);
  }
}
