import { createInMemoryEventStore, createStreamLeaseStore } from '@calsync/eventstore';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TeamLeases } from '../src/cluster/team-leases.js';

/**
 * docs/operations.md, "Several instances": every team is worked by exactly one live instance, the
 * teams spread evenly, and a team whose instance stopped or went silent is taken by another.
 * Three instances share one store through lease streams (the KurrentDB way), on a clock of the test.
 */

const TEAMS = [11, 12, 13, 14, 15];
const LEASE_CHECK_MS = 1_000;
const TAKEOVER_MS = 5_000;

function cluster(size: number) {
  let now = 1_700_000_000_000;
  const store = createInMemoryEventStore();
  const sessionTimeoutMs = TAKEOVER_MS - LEASE_CHECK_MS;
  const events: string[] = [];
  const instances = Array.from({ length: size }, (_, index) => {
    const leases = new TeamLeases(
      createStreamLeaseStore(store, { sessionTimeoutMs, now: () => now }),
      TEAMS,
      { instanceId: `instance-${index}`, leaseCheckMs: LEASE_CHECK_MS, takeoverMs: TAKEOVER_MS },
      pino({ level: 'silent' }),
      () => now,
    );
    leases.listen({
      taken: async (teamId) => {
        events.push(`${index} took ${teamId}`);
      },
      handingOver: async (teamId) => {
        events.push(`${index} hands over ${teamId}`);
      },
      lost: (teamId) => {
        events.push(`${index} lost ${teamId}`);
      },
    });
    return leases;
  });
  return {
    instances,
    events,
    /** One check on each live instance, then the clock moves one check interval on. */
    async round(live = instances) {
      for (const instance of live) await instance.check();
      now += LEASE_CHECK_MS;
    },
  };
}

/** Every team is worked by exactly one of `instances`. */
function expectEachTeamOnce(instances: TeamLeases[]) {
  const all = instances.flatMap((instance) => instance.teams());
  expect(all.sort()).toEqual([...TEAMS].sort());
}

describe('team leases across instances', () => {
  it('spreads five teams over three instances, two at most each, each team on exactly one', async () => {
    const { instances, round } = cluster(3);
    for (let step = 0; step < 6; step++) await round();
    expectEachTeamOnce(instances);
    for (const instance of instances) expect(instance.teams().length).toBeLessThanOrEqual(2);
  });

  it('hands the teams of a stopping instance to the others at their next check', async () => {
    const { instances, round } = cluster(3);
    for (let step = 0; step < 6; step++) await round();
    const [first, second, third] = instances as [TeamLeases, TeamLeases, TeamLeases];
    await third.stop();
    expect(third.teams()).toEqual([]);
    await round([first, second]);
    await round([first, second]);
    expectEachTeamOnce([first, second]);
  });

  it('takes the teams of a silent instance once its lease expired, and the silent one stops working for them first', async () => {
    const { instances, round } = cluster(2);
    for (let step = 0; step < 4; step++) await round();
    const [alive, silent] = instances as [TeamLeases, TeamLeases];
    const silentTeams = silent.teams();
    expect(silentTeams.length).toBeGreaterThan(0);
    // The silent instance confirms nothing more; the clock runs on.
    for (let step = 0; step < TAKEOVER_MS / LEASE_CHECK_MS + 1; step++) {
      await round([alive]);
      // Never two instances for one team: the silent one lets go before the other can take.
      for (const teamId of silentTeams)
        expect(alive.teams().includes(teamId) && silent.owns(teamId)).toBe(false);
    }
    expect(silent.teams()).toEqual([]);
    expectEachTeamOnce([alive]);
  });
});
