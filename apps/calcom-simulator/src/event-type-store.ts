import {
  buildTeamEventType,
  type SimulatedEventType,
  type SimulatedTeam,
  simulatedTeam,
  withDerivedFields,
} from './simulated-event-type.js';

export interface KeyAccess {
  /** The key owner's user id, as Cal.com's guards see it. */
  userId: number;
  teamIds: ReadonlySet<number>;
}

/**
 * Cal.com's data as far as the simulator needs it: teams, API keys with the teams their owner administers,
 * and team event types. Everything handed out is a copy, so callers can never edit state behind its back.
 */
export interface EventTypeStore {
  addTeam(id: number, name?: string): SimulatedTeam;
  team(id: number): SimulatedTeam | undefined;
  addKey(apiKey: string, teamIds: readonly number[]): void;
  keyAccess(apiKey: string): KeyAccess | undefined;
  list(teamId: number): SimulatedEventType[];
  get(teamId: number, id: number): SimulatedEventType | undefined;
  create(teamId: number, fields: Record<string, unknown>): SimulatedEventType;
  /** Applies `fields` over the stored event type; id and teamId never change. */
  update(teamId: number, id: number, fields: Record<string, unknown>): SimulatedEventType | undefined;
  remove(teamId: number, id: number): SimulatedEventType | undefined;
  slugTaken(teamId: number, slug: string, exceptId?: number): boolean;
}

export function createEventTypeStore(): EventTypeStore {
  const teams = new Map<number, SimulatedTeam>();
  const eventTypes = new Map<number, Map<number, SimulatedEventType>>();
  const keys = new Map<string, { userId: number; teamIds: Set<number> }>();
  let nextEventTypeId = 1001;
  let nextUserId = 77;

  const teamEventTypes = (teamId: number) => {
    let byId = eventTypes.get(teamId);
    if (!byId) {
      byId = new Map();
      eventTypes.set(teamId, byId);
    }
    return byId;
  };

  const store: EventTypeStore = {
    addTeam(id, name) {
      const existing = teams.get(id);
      if (existing && name === undefined) return { ...existing };
      const team = simulatedTeam(id, name);
      teams.set(id, team);
      teamEventTypes(id);
      return { ...team };
    },
    team(id) {
      const team = teams.get(id);
      return team ? { ...team } : undefined;
    },
    addKey(apiKey, teamIds) {
      const existing = keys.get(apiKey);
      if (existing) {
        for (const id of teamIds) existing.teamIds.add(id);
        return;
      }
      keys.set(apiKey, { userId: nextUserId++, teamIds: new Set(teamIds) });
    },
    keyAccess(apiKey) {
      const access = keys.get(apiKey);
      return access ? { userId: access.userId, teamIds: new Set(access.teamIds) } : undefined;
    },
    list(teamId) {
      return [...(eventTypes.get(teamId)?.values() ?? [])]
        .sort((a, b) => a.id - b.id)
        .map((e) => structuredClone(e));
    },
    get(teamId, id) {
      const eventType = eventTypes.get(teamId)?.get(id);
      return eventType ? structuredClone(eventType) : undefined;
    },
    create(teamId, fields) {
      const team = teams.get(teamId) ?? store.addTeam(teamId);
      const requestedId =
        typeof fields.id === 'number' && Number.isInteger(fields.id) ? fields.id : undefined;
      const id = requestedId ?? nextEventTypeId;
      nextEventTypeId = Math.max(nextEventTypeId, id + 1);
      const eventType = buildTeamEventType(team, id, structuredClone(fields));
      teamEventTypes(teamId).set(id, eventType);
      return structuredClone(eventType);
    },
    update(teamId, id, fields) {
      const team = teams.get(teamId);
      const existing = eventTypes.get(teamId)?.get(id);
      if (!team || !existing) return undefined;
      const updated = withDerivedFields(team, { ...existing, ...structuredClone(fields), id, teamId });
      teamEventTypes(teamId).set(id, updated);
      return structuredClone(updated);
    },
    remove(teamId, id) {
      const existing = eventTypes.get(teamId)?.get(id);
      if (!existing) return undefined;
      eventTypes.get(teamId)?.delete(id);
      return existing;
    },
    slugTaken(teamId, slug, exceptId) {
      return [...(eventTypes.get(teamId)?.values() ?? [])].some((e) => e.slug === slug && e.id !== exceptId);
    },
  };
  return store;
}
