import { createHash } from 'node:crypto';
import type { LeaseStore } from '@calsync/eventstore';
import type { Logger } from 'pino';

/**
 * Which Cal.com teams this instance works for (docs/operations.md, "Several instances"). A team's
 * outbound sync and its periodic reconciliation run only on the instance holding the team's lease
 * in the store. Every `leaseCheckMs` an instance confirms its leases, counts the live instances,
 * hands over the teams above its fair share (ceil(teams ÷ instances)) and takes free teams up to
 * it, preferring the teams that rank highest for it (rendezvous hashing), so that the teams
 * spread across the instances and settle in the same places after a restart.
 */
export interface TeamLeaseSettings {
  instanceId: string;
  leaseCheckMs: number;
  /** After an instance died, another takes its teams within this time (the store's lease timeout + one check). */
  takeoverMs: number;
}

/** What the workers do when a team comes or goes. */
export interface TeamLeaseListener {
  /** This instance now works for the team: catch up and schedule its pending work. */
  taken(teamId: number): Promise<void>;
  /** The team is handed over: take no more work for it and let the calls in flight end (bounded). */
  handingOver(teamId: number): Promise<void>;
  /** The lease was lost without a hand-over (the store ended the session): stop at once. */
  lost(teamId: number): void;
}

export const teamLeaseName = (teamId: number): string => `team-sync-${teamId}`;

/** The team's rank for an instance: a stable pseudo-random order, different per instance. */
const rank = (instanceId: string, teamId: number): string =>
  createHash('sha256').update(`${instanceId}/${teamId}`).digest('hex');

export class TeamLeases {
  private readonly owned = new Set<number>();
  private readonly handing = new Set<number>();
  private readonly listeners: TeamLeaseListener[] = [];
  /** When the last confirmation that proves the leases was sent (epoch ms). */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  private readonly unlisten: () => void;
  /** The teams with Cal.com credentials configured (fixed by the configuration). */
  private readonly configured: ReadonlySet<number>;

  constructor(
    private readonly leases: LeaseStore,
    teamIds: readonly number[],
    private readonly settings: TeamLeaseSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.configured = new Set(teamIds);
    this.unlisten = leases.onLost(() => this.loseAll('the store ended the lease session'));
  }

  listen(listener: TeamLeaseListener): void {
    this.listeners.push(listener);
  }

  /**
   * Whether this instance may work for the team now: it holds the lease, is not handing it over,
   * and has proven the lease recently enough that no other instance can have taken it yet. Teams
   * without credentials are nobody's to hold: every instance records their failure alike.
   */
  owns(teamId: number): boolean {
    if (!this.configured.has(teamId)) return true;
    if (!this.owned.has(teamId) || this.handing.has(teamId)) return false;
    if (!this.leases.shared) return true;
    return this.now() - this.confirmedAt < this.leaseTimeoutMs - this.settings.leaseCheckMs;
  }

  /** The teams this instance works for now. */
  teams(): number[] {
    return [...this.owned].filter((teamId) => this.owns(teamId)).sort((a, b) => a - b);
  }

  /** Takes this instance's share of the teams, then checks again every `leaseCheckMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    this.schedule();
  }

  /** Hands every team over (SIGTERM): the other instances take them at their next check. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    await Promise.all([...this.owned].map((teamId) => this.handOver(teamId, 'shutting down')));
    this.unlisten();
    // No longer a member: the others' fair share grows at their next check.
    const left = await this.leases.leave();
    if (left.isErr()) this.logger.warn({ err: left.error }, 'could not leave the instances cleanly');
  }

  /** One round now (tests; the timer does it otherwise). */
  check(): Promise<void> {
    this.round ??= this.checkOnce().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private get leaseTimeoutMs(): number {
    return this.settings.takeoverMs - this.settings.leaseCheckMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.settings.leaseCheckMs);
    this.timer.unref();
  }

  private async checkOnce(): Promise<void> {
    const sentAt = this.now();
    const confirmed = await this.leases.confirm();
    if (confirmed.isErr()) {
      this.loseAll(confirmed.error.message);
      return;
    }
    this.confirmedAt = sentAt;
    this.forgetLost();
    if (this.stopped) return;
    const members = (await this.leases.members()).unwrapOr(1);
    const teams = [...this.configured];
    const share = Math.ceil(teams.length / Math.max(1, members));
    const mine = (teamId: number) => rank(this.settings.instanceId, teamId);
    const byRank = teams.sort((a, b) => (mine(a) < mine(b) ? 1 : mine(a) > mine(b) ? -1 : 0));
    // Above the fair share: hand over the teams that rank lowest here.
    const surplus = byRank.filter((teamId) => this.owned.has(teamId)).slice(share);
    for (const teamId of surplus) await this.handOver(teamId, 'rebalancing');
    for (const teamId of byRank) {
      if (this.stopped || this.owned.size >= share) break;
      if (this.owned.has(teamId)) continue;
      const tried = this.now();
      const taken = await this.leases.tryAcquire(teamLeaseName(teamId));
      if (taken.isErr()) {
        this.logger.warn({ teamId, err: taken.error }, 'could not take a team lease');
        break;
      }
      if (!taken.value) continue;
      this.confirmedAt = Math.max(this.confirmedAt, tried);
      this.owned.add(teamId);
      this.logger.info({ teamId, instanceId: this.settings.instanceId, members }, 'team lease taken');
      for (const listener of this.listeners) {
        await listener.taken(teamId).catch((error: unknown) => {
          this.logger.error({ err: error, teamId }, 'a worker failed to take up a team');
        });
      }
    }
  }

  private async handOver(teamId: number, reason: string): Promise<void> {
    if (!this.owned.has(teamId)) return;
    this.handing.add(teamId);
    try {
      for (const listener of this.listeners) {
        await listener.handingOver(teamId).catch((error: unknown) => {
          this.logger.error({ err: error, teamId }, 'a worker failed to hand a team over');
        });
      }
      const released = await this.leases.release(teamLeaseName(teamId));
      if (released.isErr())
        this.logger.warn({ teamId, err: released.error }, 'could not give a team lease up');
      this.owned.delete(teamId);
      this.logger.info({ teamId, instanceId: this.settings.instanceId, reason }, 'team lease released');
    } finally {
      this.handing.delete(teamId);
    }
  }

  /** Leases the store no longer holds for us (the session was renewed after a loss). */
  private forgetLost(): void {
    const held = this.leases.held();
    for (const teamId of [...this.owned]) {
      if (!held.has(teamLeaseName(teamId))) this.lose(teamId, 'the store no longer holds the lease');
    }
  }

  private loseAll(reason: string): void {
    for (const teamId of [...this.owned]) this.lose(teamId, reason);
  }

  private lose(teamId: number, reason: string): void {
    if (!this.owned.delete(teamId)) return;
    this.logger.warn({ teamId, instanceId: this.settings.instanceId, reason }, 'team lease lost');
    for (const listener of this.listeners) {
      try {
        listener.lost(teamId);
      } catch (error) {
        this.logger.error({ err: error, teamId }, 'a worker failed to drop a team');
      }
    }
  }
}
