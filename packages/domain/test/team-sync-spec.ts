import { expect } from 'vitest';
import {
  decideTeamSync,
  evolveTeamSync,
  foldTeamSync,
  parseTeamSyncEvent,
  type TeamSyncCommand,
  type TeamSyncEvent,
  type TeamSyncState,
} from '../src/index.js';

/**
 * The team sync decider's specification, like service-spec.ts:
 * `givenTeam(...history).when(command).thenEmits(events)` or `.thenNothing()`. Every emitted event
 * is checked against its schema on write and on read, and folded, so each scenario also proves
 * that evolve accepts what decide produces.
 */
export function givenTeam(...history: TeamSyncEvent[]) {
  return {
    when(command: TeamSyncCommand) {
      const before = foldTeamSync(history);
      const emitted = (): TeamSyncEvent[] => {
        const events = decideTeamSync(command, before)._unsafeUnwrap();
        for (const event of events) expectTeamEventValidOnWriteAndRead(event);
        return events;
      };
      const after = (): TeamSyncState => emitted().reduce(evolveTeamSync, before);
      return {
        thenEmits(expected: TeamSyncEvent[]): TeamSyncState {
          expect(emitted()).toEqual(expected);
          return after();
        },
        thenNothing(): TeamSyncState {
          expect(emitted()).toEqual([]);
          return after();
        },
      };
    },
  };
}

export function expectTeamEventValidOnWriteAndRead(event: TeamSyncEvent): void {
  const onWrite = parseTeamSyncEvent(event.type, event.data);
  expect(onWrite.isOk(), `${event.type} fails its schema: ${JSON.stringify(onWrite)}`).toBe(true);
  const onRead = parseTeamSyncEvent(event.type, JSON.parse(JSON.stringify(event.data)));
  expect(onRead._unsafeUnwrap()).toEqual(event);
}
