import type { Subscription } from './port.js';

/** Remembers a store's running subscriptions so that closing the store stops them all. */
export class SubscriptionRegistry {
  readonly #running = new Set<Subscription>();

  track(subscription: Subscription): Subscription {
    const running = this.#running;
    running.add(subscription);
    return {
      get lastPosition() {
        return subscription.lastPosition;
      },
      caughtUp: () => subscription.caughtUp(),
      reached: (position) => subscription.reached(position),
      stop: async () => {
        await subscription.stop();
        running.delete(subscription);
      },
    };
  }

  async stopAll(): Promise<void> {
    const running = [...this.#running];
    this.#running.clear();
    await Promise.all(running.map((subscription) => subscription.stop()));
  }
}
