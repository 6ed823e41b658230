import { ok, type Result } from 'neverthrow';
import { z } from 'zod';
import {
  type Actor,
  actorSchema,
  type EventSchemaError,
  parseVersionedEvent,
  SCHEMA_VERSION,
} from './events.js';

/**
 * The team sync pause (docs/events.md, docs/status.md): the facts of a Cal.com team's sync, on
 * stream `team-<teamId>`. Cal.com refused the team's credentials (401/403), and an admin said they
 * are fixed. A team-level fact, so that one bad API key shows as one clear status instead of an
 * error on every service of the team. Names and payloads are public API, like the service events.
 */

export const TEAM_STREAM_PREFIX = 'team-';

/** The stream name of a Cal.com team's sync facts. */
export function teamStreamName(teamId: number): string {
  return `${TEAM_STREAM_PREFIX}${teamId}`;
}

/** The team id of a `team-<teamId>` stream, or null for any other stream. */
export function teamIdOfStream(streamName: string): number | null {
  if (!streamName.startsWith(TEAM_STREAM_PREFIX)) return null;
  const raw = streamName.slice(TEAM_STREAM_PREFIX.length);
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

const base = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  teamId: z.number().int(),
  actor: actorSchema,
  at: z.iso.datetime({ offset: true }),
};

export const teamSyncEventSchemas = {
  TeamSyncPaused: z.object({
    ...base,
    /** The service whose push Cal.com refused. */
    serviceId: z.string().min(1),
    httpStatus: z.number().int().nullable(),
    message: z.string(),
  }),
  TeamSyncResumed: z.object(base),
} as const;

export type TeamSyncEventType = keyof typeof teamSyncEventSchemas;
export const teamSyncEventTypes = Object.keys(teamSyncEventSchemas) as TeamSyncEventType[];
export type TeamSyncEvent = {
  [T in TeamSyncEventType]: { type: T; data: z.output<(typeof teamSyncEventSchemas)[T]> };
}[TeamSyncEventType];
export type TeamSyncPaused = Extract<TeamSyncEvent, { type: 'TeamSyncPaused' }>;
export type TeamSyncResumed = Extract<TeamSyncEvent, { type: 'TeamSyncResumed' }>;

/**
 * Whether a stored event type is one of the team sync's. Other features may record team facts
 * on the same stream: those are not this decider's, and its state ignores them.
 */
export function isTeamSyncEventType(type: string): type is TeamSyncEventType {
  return Object.hasOwn(teamSyncEventSchemas, type);
}

/** Validates a team sync event read from a store (or about to be written), upcasting old versions. */
export function parseTeamSyncEvent(type: string, data: unknown): Result<TeamSyncEvent, EventSchemaError> {
  return parseVersionedEvent(teamSyncEventSchemas, 'team sync', type, data);
}

/** Why a team's pushes are held: the refusal that paused it. */
export interface TeamPause {
  since: string;
  message: string;
  httpStatus: number | null;
  serviceId: string;
}

export interface TeamSyncState {
  /** Set while Cal.com's refusal of the team's credentials has not been resolved by an admin. */
  paused: TeamPause | null;
}

/** The state of a team with no sync facts: not paused. */
export function initialTeamSyncState(): TeamSyncState {
  return { paused: null };
}

/** Cal.com refused the team's credentials while pushing `serviceId`. */
export interface PauseTeamSync {
  type: 'PauseTeamSync';
  teamId: number;
  at: string;
  serviceId: string;
  httpStatus: number | null;
  message: string;
}

/** An admin says the team's credentials are fixed. */
export interface ResumeTeamSync {
  type: 'ResumeTeamSync';
  teamId: number;
  actor: Actor;
  at: string;
}

export type TeamSyncCommand = PauseTeamSync | ResumeTeamSync;

/**
 * The events a command produces against the team's state. Never refused: pausing a paused team
 * or resuming one that is not paused records nothing, so concurrent pauses record one fact.
 */
export function decideTeamSync(
  command: TeamSyncCommand,
  state: TeamSyncState,
): Result<TeamSyncEvent[], never> {
  switch (command.type) {
    case 'PauseTeamSync': {
      if (state.paused) return ok([]);
      const { teamId, at, serviceId, httpStatus, message } = command;
      return ok([
        {
          type: 'TeamSyncPaused',
          data: {
            schemaVersion: SCHEMA_VERSION,
            teamId,
            actor: 'system:sync',
            at,
            serviceId,
            httpStatus,
            message,
          },
        },
      ]);
    }
    case 'ResumeTeamSync': {
      if (!state.paused) return ok([]);
      const { teamId, actor, at } = command;
      return ok([{ type: 'TeamSyncResumed', data: { schemaVersion: SCHEMA_VERSION, teamId, actor, at } }]);
    }
  }
}

/** Folds one event into the team's state. Total: accepts every valid event. */
export function evolveTeamSync(state: TeamSyncState, event: TeamSyncEvent): TeamSyncState {
  switch (event.type) {
    case 'TeamSyncPaused': {
      if (state.paused) return state;
      const { at, message, httpStatus, serviceId } = event.data;
      return { paused: { since: at, message, httpStatus, serviceId } };
    }
    case 'TeamSyncResumed':
      return state.paused ? { paused: null } : state;
  }
}

/** The state of a team after these events. */
export function foldTeamSync(events: readonly TeamSyncEvent[]): TeamSyncState {
  return events.reduce(evolveTeamSync, initialTeamSyncState());
}
