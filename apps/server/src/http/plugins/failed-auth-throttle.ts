/**
 * Failed sign-ins per client address in a fixed one-minute window (docs/limits.md). A request
 * with a missing or unknown bearer token counts against its address; once the address has
 * spent its budget, its /v1 requests are refused before any token is looked up, so guessing
 * tokens costs one minute per budget whatever the guesses are.
 */
export class FailedAuthThrottle {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();

  constructor(
    private readonly budgetPerMinute: number,
    private readonly now: () => number = Date.now,
    /** Addresses remembered at most; beyond, expired windows go first, then the oldest. */
    private readonly maxAddresses = 100_000,
    private readonly windowMs = 60_000,
  ) {}

  /** Milliseconds until the address may try again, or 0 when it still has budget. */
  blockedFor(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const remaining = window.resetAt - this.now();
    if (remaining <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.failures >= this.budgetPerMinute ? remaining : 0;
  }

  recordFailure(address: string): void {
    const now = this.now();
    const window = this.windows.get(address);
    if (window && window.resetAt > now) {
      window.failures++;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= this.maxAddresses) this.evict(now);
    this.windows.set(address, { failures: 1, resetAt: now + this.windowMs });
  }

  private evict(now: number): void {
    for (const [address, window] of this.windows) if (window.resetAt <= now) this.windows.delete(address);
    // Map order is insertion order: the first entries are the oldest windows.
    for (const address of this.windows.keys()) {
      if (this.windows.size < this.maxAddresses) break;
      this.windows.delete(address);
    }
  }
}
