/** Callers of `caughtUp()` waiting for a subscription to handle everything up to a target position. */
export class CaughtUpWaiters {
  #waiters: Array<{ target: string; resolve: () => void; reject: (error: unknown) => void }> = [];

  wait(target: string): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#waiters.push({ target, resolve, reject }));
  }

  /** Resolves every waiter whose target the subscription has now reached. */
  settle(reached: (target: string) => boolean): void {
    const pending = [];
    for (const waiter of this.#waiters) {
      if (reached(waiter.target)) waiter.resolve();
      else pending.push(waiter);
    }
    this.#waiters = pending;
  }

  rejectAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
