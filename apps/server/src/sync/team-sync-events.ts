import { actorSchema } from '@calsync/domain';
import { z } from 'zod';

/**
 * The facts of a Cal.com team's sync, on stream `team-<teamId>`: Cal.com refused the team's
 * credentials (401/403), and an admin said they are fixed. A team-level fact, so that one bad
 * API key shows as one clear status instead of an error on every service of the team.
 */

export const TEAM_STREAM_PREFIX = 'team-';
export const TEAM_SYNC_SCHEMA_VERSION = 1 as const;

export function teamStreamName(teamId: number): string {
  return `${TEAM_STREAM_PREFIX}${teamId}`;
}

const base = {
  schemaVersion: z.literal(TEAM_SYNC_SCHEMA_VERSION),
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
export type TeamSyncEvent = {
  [T in TeamSyncEventType]: { type: T; data: z.output<(typeof teamSyncEventSchemas)[T]> };
}[TeamSyncEventType];
export type TeamSyncPaused = Extract<TeamSyncEvent, { type: 'TeamSyncPaused' }>;

function isTeamSyncEventType(type: string): type is TeamSyncEventType {
  return type in teamSyncEventSchemas;
}

/**
 * A stored team event, validated; null for event types of the team stream this module does not
 * own (other features may record team facts there). A known type that fails its schema is
 * corrupt data: that throws.
 */
export function parseTeamSyncEvent(type: string, data: unknown): TeamSyncEvent | null {
  if (!isTeamSyncEventType(type)) return null;
  const raw =
    typeof data === 'object' && data !== null && !('schemaVersion' in data)
      ? { ...data, schemaVersion: TEAM_SYNC_SCHEMA_VERSION }
      : data;
  const parsed = teamSyncEventSchemas[type].safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Stored ${type} does not match its schema: ${z.prettifyError(parsed.error)}`);
  }
  return { type, data: parsed.data } as TeamSyncEvent;
}

/** The team id of a `team-<teamId>` stream, or null for any other stream. */
export function teamIdOfStream(streamName: string): number | null {
  if (!streamName.startsWith(TEAM_STREAM_PREFIX)) return null;
  const raw = streamName.slice(TEAM_STREAM_PREFIX.length);
  return /^\d+$/.test(raw) ? Number(raw) : null;
}
