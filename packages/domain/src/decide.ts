import type { Result } from 'neverthrow';
import type { ServiceCommand } from './commands.js';
import {
  decideEditService,
  decideLinkService,
  decideRegisterService,
  decideRequestSync,
  decideResetSyncStatus,
  decideResolveDivergence,
  decideUnlinkService,
} from './decide-admin.js';
import {
  decideMarkCalcomEventTypeMissing,
  decideRecordCalcomObservation,
  decideRecordSyncFailed,
  decideRecordSyncSucceeded,
} from './decide-calcom.js';
import type { DomainError } from './errors.js';
import type { ServiceEvent } from './events.js';
import type { ServiceState } from './service-state.js';

/** The events a command produces against the current state of its service, or why not. */
export function decide(command: ServiceCommand, state: ServiceState): Result<ServiceEvent[], DomainError> {
  switch (command.type) {
    case 'RegisterService':
      return decideRegisterService(command, state);
    case 'EditService':
      return decideEditService(command, state);
    case 'LinkService':
      return decideLinkService(command, state);
    case 'UnlinkService':
      return decideUnlinkService(command, state);
    case 'RequestSync':
      return decideRequestSync(command, state);
    case 'ResolveDivergence':
      return decideResolveDivergence(command, state);
    case 'ResetSyncStatus':
      return decideResetSyncStatus(command, state);
    case 'RecordSyncSucceeded':
      return decideRecordSyncSucceeded(command, state);
    case 'RecordSyncFailed':
      return decideRecordSyncFailed(command, state);
    case 'RecordCalcomObservation':
      return decideRecordCalcomObservation(command, state);
    case 'MarkCalcomEventTypeMissing':
      return decideMarkCalcomEventTypeMissing(command, state);
  }
}
