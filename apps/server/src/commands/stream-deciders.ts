import {
  type DomainError,
  decide,
  decideTeamSync,
  evolve,
  evolveTeamSync,
  initialState,
  initialTeamSyncState,
  isTeamSyncEventType,
  parseTeamSyncEvent,
  type ServiceCommand,
  type ServiceEvent,
  type ServiceState,
  serviceNotFound,
  serviceStreamName,
  type TeamSyncCommand,
  type TeamSyncEvent,
  type TeamSyncState,
  teamStreamName,
} from '@calsync/domain';
import type { NewEvent, RecordedEvent } from '@calsync/eventstore';
import { fromRecorded, toNewEvent } from '../services/event-codec.js';
import type { StreamDecider } from './command-bus.js';

/** The Service decider on stream `service-<serviceId>` (docs/events.md). */
export const serviceDecider: StreamDecider<ServiceCommand, ServiceEvent, ServiceState, DomainError> = {
  streamOf: (command) => serviceStreamName(command.serviceId),
  initialState,
  decide,
  evolve,
  encode: toNewEvent,
  decode: fromRecorded,
  refuse: (command, state) =>
    // Another tenant's service is indistinguishable from one that does not exist.
    state.exists && state.companyId !== command.companyId && command.type !== 'RegisterService'
      ? serviceNotFound(command.serviceId)
      : null,
  busyMessage: (command) =>
    `Service "${command.serviceId}" is being changed by many writers at once; the command could not be applied. Retry in a moment.`,
};

/** The team sync decider on stream `team-<teamId>` (docs/events.md). */
export const teamSyncDecider: StreamDecider<TeamSyncCommand, TeamSyncEvent, TeamSyncState, never> = {
  streamOf: (command) => teamStreamName(command.teamId),
  initialState: initialTeamSyncState,
  decide: decideTeamSync,
  evolve: evolveTeamSync,
  encode: (event, id): NewEvent => {
    const checked = parseTeamSyncEvent(event.type, event.data);
    if (checked.isErr()) {
      // The decider produced an event its own schema rejects: a bug, never an expected failure.
      throw new Error(`${checked.error.message} ${JSON.stringify(checked.error.issues)}`);
    }
    return { id, type: event.type, data: checked.value.data };
  },
  decode: (recorded: RecordedEvent): TeamSyncEvent | null => {
    // Other features may record team facts on the same stream: not this decider's.
    if (!isTeamSyncEventType(recorded.type)) return null;
    const parsed = parseTeamSyncEvent(recorded.type, recorded.data);
    if (parsed.isErr()) {
      throw new Error(
        `Stored event ${recorded.id} at ${recorded.streamName}@${recorded.revision} is unreadable: ${parsed.error.message} ${JSON.stringify(parsed.error.issues)}`,
      );
    }
    return parsed.value;
  },
  busyMessage: (command) =>
    `The sync state of Cal.com team ${command.teamId} is being changed by many writers at once; it was not recorded. Retry in a moment.`,
};
