import type { CalcomEventType } from '@calsync/calcom';
import type { ApiThrottle } from './api-throttle.js';
import type { EventTypeStore } from './event-type-store.js';
import type { FaultSpec, FaultTable } from './fault-injection.js';
import type { RecordedRequest, RequestLog } from './request-log.js';
import { sendWebhook, type WebhookSend, type WebhookSendResult } from './webhook-sender.js';

/** Drives the simulator from a test or a demo; mirrored over HTTP under `/_control`. */
export interface SimulatorControl {
  /** Returns the fault's id. */
  injectFault(fault: FaultSpec): number;
  clearFaults(): void;
  faults(): Array<FaultSpec & { id: number; remaining: number | null }>;
  /** An edit made by a person in Cal.com's UI: any field, price and currency included, no stripping. */
  uiEditEventType(teamId: number, id: number, patch: Record<string, unknown>): CalcomEventType;
  uiDeleteEventType(teamId: number, id: number): void;
  uiCreateEventType(
    teamId: number,
    fields: Partial<CalcomEventType> & Record<string, unknown>,
  ): CalcomEventType;
  getEventType(teamId: number, id: number): CalcomEventType | undefined;
  listEventTypes(teamId: number): CalcomEventType[];
  requests(): RecordedRequest[];
  clearRequests(): void;
  addKey(apiKey: string, teamIds: number[]): void;
  addTeam(id: number, name?: string): void;
  /** Forgets every key's hits and blocks. */
  resetRateLimits(): void;
  sendWebhook(send: WebhookSend): Promise<WebhookSendResult>;
}

export class UnknownEventTypeError extends Error {
  constructor(teamId: number, id: number) {
    super(`event type ${id} does not exist in team ${teamId}`);
  }
}

export function createSimulatorControl(parts: {
  store: EventTypeStore;
  faults: FaultTable;
  log: RequestLog;
  throttle: ApiThrottle;
}): SimulatorControl {
  const { store, faults, log, throttle } = parts;
  return {
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    uiEditEventType(teamId, id, patch) {
      const { id: _id, teamId: _teamId, ...fields } = patch;
      const updated = store.update(teamId, id, fields);
      if (!updated) throw new UnknownEventTypeError(teamId, id);
      return updated;
    },
    uiDeleteEventType(teamId, id) {
      if (!store.remove(teamId, id)) throw new UnknownEventTypeError(teamId, id);
    },
    uiCreateEventType: (teamId, fields) => store.create(teamId, fields),
    getEventType: (teamId, id) => store.get(teamId, id),
    listEventTypes: (teamId) => store.list(teamId),
    requests: () => log.all(),
    clearRequests: () => log.clear(),
    addKey: (apiKey, teamIds) => store.addKey(apiKey, teamIds),
    addTeam: (id, name) => {
      store.addTeam(id, name);
    },
    resetRateLimits: () => throttle.reset(),
    sendWebhook,
  };
}
