/** What `GET /health/ready` reports (docs/operations.md, "Readiness"). */
export interface Readiness {
  ready: boolean;
  store: { engine: string; reachable: boolean };
  /**
   * `behindMs`: how long the subscription has not been known to be caught up (0 when it caught
   * up during this probe). `error`: set when it stopped after a failure.
   */
  subscriptions: Array<{ name: string; caughtUp: boolean; behindMs: number; error?: string }>;
}

/** A subscription as readiness sees it: something that can say "I have handled everything committed now". */
export interface ProbedSubscription {
  readonly name: string;
  /** Resolves once every event committed before the call is handled; rejects when the subscription failed. */
  caughtUp(): Promise<void>;
}

export interface ReadinessSettings {
  /** How long a subscription may be behind (not caught up) before readiness fails. */
  graceMs: number;
  /** The probe answers within this time, whatever the store does. */
  probeTimeoutMs: number;
}

interface Tracked {
  /** The latest moment as of which the subscription is known to have handled everything. */
  caughtUpAt: number;
  /** One `caughtUp()` at a time per subscription: a frozen store cannot pile calls up. */
  inFlight: Promise<void> | undefined;
  failure: string | undefined;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Readiness (docs/operations.md, "Readiness"): the store answers a ping and no subscription has
 * been behind for longer than the grace period. "Behind" is measured in time, not by scanning:
 * each probe asks every subscription to catch up with the head as of now, and a subscription
 * that has not done so within the probe is behind since the last moment it was known caught up.
 * A store that does not answer is "unreachable" once the probe's time is up; the calls left in
 * flight are reused by the next probe instead of adding more.
 */
export class ReadinessProbe {
  readonly #tracked = new Map<string, Tracked>();
  #ping: Promise<boolean> | undefined;

  constructor(
    private readonly store: { readonly engine: string; ping(): Promise<boolean> },
    private readonly subscriptions: () => readonly ProbedSubscription[],
    private readonly settings: ReadinessSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Marks every subscription caught up as of now (call once after the start-up catch-up). */
  markCaughtUp(): void {
    const at = this.now();
    for (const subscription of this.subscriptions()) this.#trackedFor(subscription.name).caughtUpAt = at;
  }

  async probe(): Promise<Readiness> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.settings.probeTimeoutMs);
    });
    try {
      const [reachable, ...caughtUp] = await Promise.all([
        Promise.race([this.#pingOnce(), deadline]).then((answer) => answer === true),
        ...this.subscriptions().map((subscription) =>
          Promise.race([this.#catchUp(subscription), deadline]).then((answer) => answer === true),
        ),
      ]);
      const now = this.now();
      const subscriptions = this.subscriptions().map((subscription, index) => {
        const tracked = this.#trackedFor(subscription.name);
        const behindMs = caughtUp[index] ? 0 : Math.max(0, now - tracked.caughtUpAt);
        return {
          name: subscription.name,
          caughtUp: caughtUp[index] === true,
          behindMs,
          ...(tracked.failure === undefined ? {} : { error: tracked.failure }),
        };
      });
      return {
        ready:
          reachable &&
          subscriptions.every(
            (entry) => entry.error === undefined && entry.behindMs <= this.settings.graceMs,
          ),
        store: { engine: this.store.engine, reachable },
        subscriptions,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  #pingOnce(): Promise<boolean> {
    this.#ping ??= this.store
      .ping()
      .catch(() => false)
      .finally(() => {
        this.#ping = undefined;
      });
    return this.#ping;
  }

  /** Resolves true once caught up as of the call; false when the subscription failed. */
  #catchUp(subscription: ProbedSubscription): Promise<boolean> {
    const tracked = this.#trackedFor(subscription.name);
    if (!tracked.inFlight) {
      const startedAt = this.now();
      tracked.inFlight = subscription
        .caughtUp()
        .then(
          () => {
            tracked.caughtUpAt = Math.max(tracked.caughtUpAt, startedAt);
            tracked.failure = undefined;
          },
          () => {
            // The subscription logs its own failure; a public probe never carries driver text.
            tracked.failure = 'The subscription stopped after a failure. Restart calsync; its log says why.';
          },
        )
        .finally(() => {
          tracked.inFlight = undefined;
        });
    }
    return tracked.inFlight.then(() => tracked.failure === undefined);
  }

  #trackedFor(name: string): Tracked {
    let tracked = this.#tracked.get(name);
    if (!tracked) {
      tracked = { caughtUpAt: this.now(), inFlight: undefined, failure: undefined };
      this.#tracked.set(name, tracked);
    }
    return tracked;
  }
}
