import { randomUUID } from 'node:crypto';
import { teamStreamName } from '@calsync/domain';
import { createInMemoryEventStore, type EventStore } from '@calsync/eventstore';
import { describe, expect, it } from 'vitest';
import { CommandBus } from '../src/commands/command-bus.js';
import { StatusProjection } from '../src/projection/status-projection.js';
import { TeamSyncCommands } from '../src/sync/team-sync-commands.js';

const at = '2026-11-23T10:00:00.000Z';
const refusal = { at, serviceId: 's1', httpStatus: 401, message: 'Cal.com refused the API key.' };

/** One calsync process on the store: its projection (not started: fed by its own appends) and the team commands. */
function aProcess(store: EventStore) {
  const projection = new StatusProjection({ store });
  return {
    projection,
    teamSync: new TeamSyncCommands(
      new CommandBus(store, randomUUID),
      projection.teamStates,
      () => new Date(at),
    ),
  };
}

async function teamStream(store: EventStore) {
  return (await store.readStream(teamStreamName(42)))._unsafeUnwrap().map((event) => event.type);
}

describe('the team sync pause through the command bus', () => {
  it('two processes that see the same refusal at once record one pause', async () => {
    const store = createInMemoryEventStore();
    const [first, second] = [aProcess(store), aProcess(store)];
    const [a, b] = await Promise.all([first.teamSync.pause(42, refusal), second.teamSync.pause(42, refusal)]);
    expect([a._unsafeUnwrap(), b._unsafeUnwrap()].sort()).toEqual([false, true]);
    expect(await teamStream(store)).toEqual(['TeamSyncPaused']);
    expect(second.projection.teams.isPaused(42)).toBe(true);
    expect(first.projection.teams.isPaused(42)).toBe(true);
  });

  it('a resume lifts the pause and tells the projection’s listeners; a second resume records nothing', async () => {
    const store = createInMemoryEventStore();
    const { projection, teamSync } = aProcess(store);
    const changed: number[] = [];
    projection.onTeamChanged((teamId) => changed.push(teamId));
    await teamSync.pause(42, refusal);
    expect((await teamSync.resume(42, 'admin:alice'))._unsafeUnwrap()).toBe(true);
    expect((await teamSync.resume(42, 'admin:alice'))._unsafeUnwrap()).toBe(false);
    expect(projection.teams.isPaused(42)).toBe(false);
    expect(changed).toEqual([42, 42]);
    expect(await teamStream(store)).toEqual(['TeamSyncPaused', 'TeamSyncResumed']);
  });

  it('a resume in another process reaches this one through its subscription, so the next refusal pauses again', async () => {
    const store = createInMemoryEventStore();
    const [first, second] = [aProcess(store), aProcess(store)];
    await Promise.all([first.projection.start(), second.projection.start()]);
    await first.teamSync.pause(42, refusal);
    await second.projection.caughtUp();
    expect((await second.teamSync.resume(42, 'admin:alice'))._unsafeUnwrap()).toBe(true);
    await first.projection.caughtUp();
    expect(first.projection.teams.isPaused(42)).toBe(false);
    const later = { ...refusal, at: '2026-11-23T11:00:00.000Z' };
    expect((await first.teamSync.pause(42, later))._unsafeUnwrap()).toBe(true);
    expect(await teamStream(store)).toEqual(['TeamSyncPaused', 'TeamSyncResumed', 'TeamSyncPaused']);
    await Promise.all([first.projection.stop(), second.projection.stop()]);
  });
});
