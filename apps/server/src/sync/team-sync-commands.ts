import type { Actor, TeamSyncCommand, TeamSyncEvent, TeamSyncState } from '@calsync/domain';
import type { Result } from 'neverthrow';
import type { CommandBus, CommandError, DecisionStates } from '../commands/command-bus.js';
import { teamSyncDecider } from '../commands/stream-deciders.js';

/**
 * The team sync pause's commands (docs/status.md), run through the command bus: the decider of
 * packages/domain on stream `team-<teamId>`, with expected revisions so that concurrent pauses
 * record one fact, not two. ok(true) when a fact was recorded, ok(false) when there was nothing to do.
 */
export class TeamSyncCommands {
  constructor(
    private readonly bus: CommandBus,
    private readonly states: DecisionStates<TeamSyncState, TeamSyncEvent>,
    private readonly clock: () => Date,
  ) {}

  /** Records that Cal.com refused the team's credentials; ok(false) when it was paused already. */
  pause(
    teamId: number,
    details: { at: string; serviceId: string; httpStatus: number | null; message: string },
  ): Promise<Result<boolean, CommandError>> {
    return this.run({ type: 'PauseTeamSync', teamId, ...details });
  }

  /** An admin says the credentials are fixed; ok(false) when the team was not paused. */
  resume(teamId: number, actor: Actor): Promise<Result<boolean, CommandError>> {
    return this.run({ type: 'ResumeTeamSync', teamId, actor, at: this.clock().toISOString() });
  }

  private async run(command: TeamSyncCommand): Promise<Result<boolean, CommandError>> {
    const decided = await this.bus.execute(teamSyncDecider, this.states, command);
    return decided.map(({ events }) => events.length > 0);
  }
}
