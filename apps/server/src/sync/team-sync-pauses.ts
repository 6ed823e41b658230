import type { Actor, TeamSyncContext } from '@calsync/domain';
import { type EventStore, expected, type RecordedEvent } from '@calsync/eventstore';
import { err, ok, type Result } from 'neverthrow';
import {
  parseTeamSyncEvent,
  TEAM_STREAM_PREFIX,
  TEAM_SYNC_SCHEMA_VERSION,
  type TeamSyncEvent,
  teamIdOfStream,
  teamStreamName,
} from './team-sync-events.js';

export interface TeamPause {
  since: string;
  message: string;
  httpStatus: number | null;
  serviceId: string;
}

interface TeamState {
  /** Events of the team stream applied so far. */
  seen: number;
  paused: TeamPause | null;
}

export interface TeamSyncStoreError {
  code: 'TEAM_SYNC.STORE_UNAVAILABLE';
  message: string;
}

const MAX_CONFLICT_RETRIES = 8;

/**
 * Which teams have their sync paused because Cal.com refused their credentials. Kept from the
 * `team-<teamId>` streams (loaded at start, then fed by the process manager's subscription),
 * written with expected revisions so that concurrent pauses record one fact, not two.
 */
export class TeamSyncPauses {
  private readonly teams = new Map<number, TeamState>();

  constructor(
    private readonly store: EventStore,
    private readonly newId: () => string,
  ) {}

  /** Reads every team stream: call once before relying on `context`. */
  async load(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const read = await this.store.readAll({
        streamPrefixes: [TEAM_STREAM_PREFIX],
        maxCount: 1000,
        ...(after ? { after } : {}),
      });
      if (read.isErr()) throw new Error(read.error.message, { cause: read.error });
      const page = read.value;
      for (const recorded of page) this.apply(recorded);
      const last = page.at(-1);
      if (!last || page.length < 1000) return;
      after = last.position;
    }
  }

  /** Applies one stored event of a team stream (each revision once); true when it changed a pause. */
  apply(recorded: RecordedEvent): boolean {
    const teamId = teamIdOfStream(recorded.streamName);
    if (teamId === null) return false;
    const state = this.stateOf(teamId);
    const revision = Number(recorded.revision);
    if (revision < state.seen) return false;
    state.seen = revision + 1;
    const event = parseTeamSyncEvent(recorded.type, recorded.data);
    return event ? this.evolve(state, event) : false;
  }

  isPaused(teamId: number): boolean {
    return this.teams.get(teamId)?.paused != null;
  }

  pauseOf(teamId: number): TeamPause | null {
    return this.teams.get(teamId)?.paused ?? null;
  }

  /** What every status of the team's services must say (statusView's team context). */
  context(teamId: number): TeamSyncContext {
    const pause = this.pauseOf(teamId);
    return { paused: pause ? { since: pause.since, message: pause.message } : null };
  }

  /** Records that Cal.com refused the team's credentials; ok(false) when it was paused already. */
  pause(
    teamId: number,
    details: { at: string; serviceId: string; httpStatus: number | null; message: string },
  ): Promise<Result<boolean, TeamSyncStoreError>> {
    return this.appendUnless(teamId, (state) => state.paused !== null, {
      type: 'TeamSyncPaused',
      data: {
        schemaVersion: TEAM_SYNC_SCHEMA_VERSION,
        teamId,
        actor: 'system:sync',
        at: details.at,
        serviceId: details.serviceId,
        httpStatus: details.httpStatus,
        message: details.message,
      },
    });
  }

  /** An admin says the credentials are fixed; ok(false) when the team was not paused. */
  resume(teamId: number, actor: Actor, at: string): Promise<Result<boolean, TeamSyncStoreError>> {
    return this.appendUnless(teamId, (state) => state.paused === null, {
      type: 'TeamSyncResumed',
      data: { schemaVersion: TEAM_SYNC_SCHEMA_VERSION, teamId, actor, at },
    });
  }

  private async appendUnless(
    teamId: number,
    alreadyDone: (state: TeamState) => boolean,
    event: TeamSyncEvent,
  ): Promise<Result<boolean, TeamSyncStoreError>> {
    const stream = teamStreamName(teamId);
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const state = this.stateOf(teamId);
      if (alreadyDone(state)) return ok(false);
      const appended = await this.store.appendToStream(
        stream,
        [{ id: this.newId(), type: event.type, data: event.data }],
        expected.exact(BigInt(state.seen - 1)),
      );
      if (appended.isOk()) {
        state.seen = Number(appended.value.nextExpectedRevision) + 1;
        this.evolve(state, event);
        return ok(true);
      }
      if (appended.error.code !== 'EVENTSTORE.WRONG_EXPECTED_REVISION') {
        return err({ code: 'TEAM_SYNC.STORE_UNAVAILABLE', message: appended.error.message });
      }
      // Someone else wrote to the team stream: catch up with it and decide again.
      const read = await this.store.readStream(stream);
      if (read.isErr()) return err({ code: 'TEAM_SYNC.STORE_UNAVAILABLE', message: read.error.message });
      for (const recorded of read.value) this.apply(recorded);
    }
    return err({
      code: 'TEAM_SYNC.STORE_UNAVAILABLE',
      message: `Team stream ${stream} kept changing; the team's sync state was not recorded.`,
    });
  }

  private stateOf(teamId: number): TeamState {
    let state = this.teams.get(teamId);
    if (!state) {
      state = { seen: 0, paused: null };
      this.teams.set(teamId, state);
    }
    return state;
  }

  private evolve(state: TeamState, event: TeamSyncEvent): boolean {
    if (event.type === 'TeamSyncPaused') {
      if (state.paused) return false;
      const { at, message, httpStatus, serviceId } = event.data;
      state.paused = { since: at, message, httpStatus, serviceId };
      return true;
    }
    if (!state.paused) return false;
    state.paused = null;
    return true;
  }
}
