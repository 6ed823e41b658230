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

/**
 * Appends are serialised by a lock held to commit, so concurrent writers of one process
 * would queue on the server one commit at a time. Instead they queue here, and whatever
 * queued while a call was in flight goes to the server as the next call: one lock, one
 * commit (one WAL flush) for all of them, each append still judged on its own.
 */
export class AppendBatcher {
  #queue: Waiting[] = [];
  #sending = false;

  constructor(private readonly send: (appends: PendingAppend[]) => Promise<AppendRow[]>) {}

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
        const outcomes = await this.send(batch.map((waiting) => waiting.append));
        batch.forEach((waiting, index) => {
          const outcome = outcomes.find((row) => row.append_index === index);
          if (outcome) waiting.resolve(outcome);
          else waiting.reject(new Error(`The store reported no outcome for append ${index}`));
        });
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#sending = false;
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
