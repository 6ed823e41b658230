import type { TeamPause, TeamSyncContext, TeamSyncState } from '@calsync/domain';
import type { Versioned } from '../commands/command-bus.js';

export interface TeamEntry extends Versioned<TeamSyncState> {
  teamId: number;
}

/** What the rest of the server may ask of the teams' read model; only the status projection writes it. */
export interface TeamReads {
  get(teamId: number): TeamEntry | undefined;
  isPaused(teamId: number): boolean;
  pauseOf(teamId: number): TeamPause | null;
  /** What every status of the team's services must say about its pause (statusView's team context). */
  context(teamId: number): Pick<TeamSyncContext, 'paused'>;
}

/**
 * The sync state of every Cal.com team that has facts on its `team-<teamId>` stream (paused on
 * refused credentials or not), in memory. Written only by the status projection, by revision.
 */
export class TeamReadModel implements TeamReads {
  private readonly teams = new Map<number, TeamEntry>();

  get(teamId: number): TeamEntry | undefined {
    return this.teams.get(teamId);
  }

  isPaused(teamId: number): boolean {
    return this.pauseOf(teamId) !== null;
  }

  pauseOf(teamId: number): TeamPause | null {
    return this.teams.get(teamId)?.state.paused ?? null;
  }

  context(teamId: number): Pick<TeamSyncContext, 'paused'> {
    const pause = this.pauseOf(teamId);
    return { paused: pause ? { since: pause.since, message: pause.message } : null };
  }

  all(): TeamEntry[] {
    return [...this.teams.values()];
  }

  /** Keeps the entry when it is newer than the one held; true when it was kept. */
  put(entry: TeamEntry): boolean {
    const previous = this.teams.get(entry.teamId);
    if (previous && previous.revision >= entry.revision) return false;
    this.teams.set(entry.teamId, entry);
    return true;
  }
}
