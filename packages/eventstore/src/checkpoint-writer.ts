import type { CheckpointStore, StoreFailure } from './port.js';

/**
 * Stores a subscription's checkpoint after each handled event without making every
 * event wait for a database round trip: while one store is in flight, newer positions
 * coalesce into the next. A crash can thus re-deliver the events handled during one
 * round trip (delivery is at-least-once across crashes anyway); `flush` waits for the
 * latest position, and stop, caught-up and failure reports all flush first.
 */
export class CheckpointWriter {
  #pending: string | undefined;
  #writing: Promise<void> | undefined;
  #failure: { error: StoreFailure } | undefined;

  constructor(
    private readonly checkpoints: CheckpointStore,
    private readonly name: string,
  ) {}

  /** Notes that the event at `position` was handled. */
  record(position: string): void {
    this.#pending = position;
    this.#writing ??= this.#write();
  }

  /** Resolves once every recorded position is stored; throws the typed error of a failed store. */
  async flush(): Promise<void> {
    await this.#writing;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) throw failure.error;
  }

  async #write(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const position = this.#pending;
        this.#pending = undefined;
        const stored = await this.checkpoints.store(this.name, position);
        if (stored.isErr()) {
          // Keep the position for the next attempt unless a newer one arrived meanwhile.
          this.#pending ??= position;
          this.#failure = { error: stored.error };
          return;
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
