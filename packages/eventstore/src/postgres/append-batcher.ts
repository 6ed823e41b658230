import type { ValidNewEvent } from '../new-event.js';
import type { AppendRow } from './event-row.js';

/** One append as the `append_events` function takes it. */
export interface PendingAppend {
  stream: string;
  expectedKind: string;
  expectedRevision: string | null;
  events: ValidNewEvent[];
}

interface Waiting {
  append: PendingAppend;
  resolve: (outcome: AppendRow) => void;
  reject: (error: unknown) => void;
}

/** Bounds one call so that a burst of big appends does not become one huge transaction. */
const MAX_EVENTS_PER_CALL = 2000;

export interface AppendBatcherOptions {
  /**
   * Whether a failed call is worth sending again one append at a time. Yes by default (the
   * engine refused something in the call, which one is unknown); no for a lost connection,
   * where every retry would only wait for the same timeout again.
   */
  isolateAfter?: (error: unknown) => boolean;
}

/**
 * Appends are serialised by a lock held to commit, so concurrent writers of one process
 * would queue on the server one commit at a time. Instead they queue here, and whatever
 * queued while a call was in flight goes to the server as the next call: one lock, one
 * commit (one WAL flush) for all of them, each append still judged on its own.
 *
 * Every append is validated before it is queued (validateNewEvents), but the engine may still
 * refuse one: one call is one transaction, so then nothing of the call is stored, and its
 * appends are sent again one by one, so that only the one the engine refuses fails. Sending an
 * append again is safe: event ids make it idempotent, and a stored one reports as already written.
 */
export class AppendBatcher {
  #queue: Waiting[] = [];
  #sending = false;
  readonly #isolateAfter: (error: unknown) => boolean;

  constructor(
    private readonly send: (appends: PendingAppend[]) => Promise<AppendRow[]>,
    options: AppendBatcherOptions = {},
  ) {
    this.#isolateAfter = options.isolateAfter ?? (() => true);
  }

  submit(append: PendingAppend): Promise<AppendRow> {
    return new Promise<AppendRow>((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      if (!this.#sending) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#sendAndSettle(batch);
      } catch (error) {
        if (batch.length > 1 && this.#isolateAfter(error)) await this.#sendOneByOne(batch);
        else for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#sending = false;
  }

  async #sendAndSettle(batch: Waiting[]): Promise<void> {
    const outcomes = await this.send(batch.map((waiting) => waiting.append));
    batch.forEach((waiting, index) => {
      const outcome = outcomes.find((row) => row.append_index === index);
      if (outcome) waiting.resolve(outcome);
      else waiting.reject(new Error(`The store reported no outcome for append ${index}`));
    });
  }

  /** Bounded by the batch (at most MAX_EVENTS_PER_CALL events); stops at a lost connection. */
  async #sendOneByOne(batch: Waiting[]): Promise<void> {
    for (const [index, waiting] of batch.entries()) {
      try {
        await this.#sendAndSettle([waiting]);
      } catch (error) {
        waiting.reject(error);
        if (!this.#isolateAfter(error)) {
          for (const rest of batch.slice(index + 1)) rest.reject(error);
          return;
        }
      }
    }
  }

  #takeBatch(): Waiting[] {
    let events = 0;
    let count = 0;
    for (const waiting of this.#queue) {
      if (count > 0 && events + waiting.append.events.length > MAX_EVENTS_PER_CALL) break;
      events += waiting.append.events.length;
      count += 1;
    }
    return this.#queue.splice(0, count);
  }
}
