import { describe, expect, it } from 'vitest';
import {
  foldTeamSync,
  isTeamSyncEventType,
  parseTeamSyncEvent,
  SCHEMA_VERSION,
  type TeamSyncEvent,
  teamIdOfStream,
  teamStreamName,
  teamSyncEventTypes,
} from '../src/index.js';
import { ADMIN, minute, SERVICE_ID, TEAM_ID } from './service-facts.js';
import { givenTeam } from './team-sync-spec.js';

const refusal = { httpStatus: 401, message: 'Cal.com refused the API key (401 Unauthorized).' };

function pause(at = minute(1)) {
  return { type: 'PauseTeamSync' as const, teamId: TEAM_ID, at, serviceId: SERVICE_ID, ...refusal };
}

function resume(at = minute(5)) {
  return { type: 'ResumeTeamSync' as const, teamId: TEAM_ID, actor: ADMIN, at };
}

function paused(at = minute(1)): TeamSyncEvent {
  return {
    type: 'TeamSyncPaused',
    data: {
      schemaVersion: SCHEMA_VERSION,
      teamId: TEAM_ID,
      actor: 'system:sync',
      at,
      serviceId: SERVICE_ID,
      ...refusal,
    },
  };
}

function resumed(at = minute(5)): TeamSyncEvent {
  return {
    type: 'TeamSyncResumed',
    data: { schemaVersion: SCHEMA_VERSION, teamId: TEAM_ID, actor: ADMIN, at },
  };
}

describe('a team whose credentials Cal.com refuses is paused, once (docs/status.md)', () => {
  it('a refusal pauses a team that was syncing, naming the service, the status and the message', () => {
    const state = givenTeam().when(pause()).thenEmits([paused()]);
    expect(state.paused).toEqual({ since: minute(1), serviceId: SERVICE_ID, ...refusal });
  });

  it('a second refusal while the team is paused records nothing: concurrent pushes record one fact', () => {
    const state = givenTeam(paused())
      .when(pause(minute(2)))
      .thenNothing();
    expect(state.paused?.since).toBe(minute(1));
  });

  it('a refusal after the team was resumed pauses it again', () => {
    const state = givenTeam(paused(), resumed())
      .when(pause(minute(9)))
      .thenEmits([paused(minute(9))]);
    expect(state.paused?.since).toBe(minute(9));
  });
});

describe('an admin resumes a paused team', () => {
  it('resuming a paused team records who resumed it and lifts the pause', () => {
    const state = givenTeam(paused()).when(resume()).thenEmits([resumed()]);
    expect(state.paused).toBeNull();
  });

  it('resuming a team that is not paused records nothing', () => {
    expect(givenTeam().when(resume()).thenNothing().paused).toBeNull();
    expect(
      givenTeam(paused(), resumed())
        .when(resume(minute(7)))
        .thenNothing().paused,
    ).toBeNull();
  });
});

describe('the events of a team stream are public API (docs/events.md)', () => {
  it('the event names subscribers can rely on', () => {
    expect(teamSyncEventTypes).toEqual(['TeamSyncPaused', 'TeamSyncResumed']);
    expect(isTeamSyncEventType('TeamSyncPaused')).toBe(true);
    expect(isTeamSyncEventType('TeamRenamed')).toBe(false);
  });

  it('one stream per Cal.com team, team-<teamId>; other streams have no team id', () => {
    expect(teamStreamName(TEAM_ID)).toBe('team-42');
    expect(teamIdOfStream('team-42')).toBe(TEAM_ID);
    expect(teamIdOfStream('team-acme')).toBeNull();
    expect(teamIdOfStream('service-42')).toBeNull();
  });

  it('a team event written before schema versions existed is read as version 1', () => {
    const { schemaVersion: _version, ...unversioned } = paused().data;
    expect(parseTeamSyncEvent('TeamSyncPaused', unversioned)._unsafeUnwrap()).toEqual(paused());
  });

  it('a team event that does not match its schema is refused with the path, not thrown', () => {
    const error = parseTeamSyncEvent('TeamSyncPaused', {
      ...paused().data,
      httpStatus: 'nope',
    })._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'EVENT.INVALID', type: 'TeamSyncPaused' });
    expect(error.issues.map((issue) => issue.path)).toEqual(['httpStatus']);
  });

  it('an unknown event type on a team stream is refused with a stable code', () => {
    expect(parseTeamSyncEvent('TeamRenamed', {})._unsafeUnwrapErr()).toEqual({
      code: 'EVENT.INVALID',
      type: 'TeamRenamed',
      message: 'Unknown team sync event type "TeamRenamed".',
      issues: [],
    });
  });

  it('a history folds to the pause of its last refusal not yet resumed', () => {
    expect(foldTeamSync([paused(), resumed(), paused(minute(9))]).paused?.since).toBe(minute(9));
    expect(foldTeamSync([]).paused).toBeNull();
  });
});
