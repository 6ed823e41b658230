import {
  type MissCounter,
  parseReconciliationEvent,
  type ReconciliationAbortReason,
  type ReconciliationCounts,
  type ReconciliationEvent,
  type ReconciliationFinding,
  type ReconciliationMode,
  reconciliationStreamName,
} from '@calsync/domain';
import { type EventStore, expected, type RecordedEvent } from '@calsync/eventstore';
import { noteWrite } from '../commands/write-positions.js';

/**
 * The runs of one team, on `reconciliation-<teamId>`: written as zod-checked events, read back
 * into run views and into the miss counters of the last complete apply run.
 */

/** The states of a run (one list for the type and the HTTP schema). */
export const runStates = ['running', 'completed', 'aborted'] as const;
export type RunState = (typeof runStates)[number];

/** A run as GET /v1/reconciliations/:runId shows it. */
export interface RunView {
  runId: string;
  companyId: string;
  teamId: number;
  mode: ReconciliationMode;
  state: RunState;
  actor: string;
  startedAt: string;
  endedAt: string | null;
  reason: ReconciliationAbortReason | null;
  counts: ReconciliationCounts | null;
  findings: ReconciliationFinding[];
  serviceEventsAppended: number;
}

function decode(recorded: RecordedEvent): ReconciliationEvent {
  const parsed = parseReconciliationEvent(recorded.type, recorded.data);
  if (parsed.isErr()) {
    throw new Error(
      `Stored event ${recorded.id} at ${recorded.streamName}@${recorded.revision} is unreadable: ${parsed.error.message} ${JSON.stringify(parsed.error.issues)}`,
    );
  }
  return parsed.value;
}

/** Appends one run event; the schema check first, since a malformed one is our bug. */
export async function recordRunEvent(
  store: EventStore,
  teamId: number,
  event: ReconciliationEvent,
  id: string,
): Promise<void> {
  const checked = parseReconciliationEvent(event.type, event.data);
  if (checked.isErr()) throw new Error(`${checked.error.message} ${JSON.stringify(checked.error.issues)}`);
  // Runs of one team never share facts with each other, so no expected revision is needed.
  const appended = await store.appendToStream(
    reconciliationStreamName(teamId),
    [{ id, type: event.type, data: checked.value.data }],
    expected.any,
  );
  if (appended.isErr()) throw new Error(appended.error.message, { cause: appended.error });
  noteWrite(appended.value.position);
}

export async function readRunEvents(store: EventStore, teamId: number): Promise<ReconciliationEvent[]> {
  const read = await store.readStream(reconciliationStreamName(teamId));
  if (read.isErr()) throw new Error(read.error.message, { cause: read.error });
  return read.value.map(decode);
}

/** The counters left by the company's last complete apply run; check and aborted runs never move them. */
export function lastApplyMisses(events: readonly ReconciliationEvent[], companyId: string): MissCounter[] {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event?.type !== 'ReconciliationCompleted') continue;
    if (event.data.mode === 'apply' && event.data.companyId === companyId) return event.data.misses;
  }
  return [];
}

/**
 * The view of one run from its events, or undefined. A run started but never ended, that this
 * process is not running, was cut short by a stop of the server.
 */
export function runViewOf(
  events: readonly ReconciliationEvent[],
  runId: string,
  isActive: (runId: string) => boolean,
): RunView | undefined {
  let view: RunView | undefined;
  for (const event of events) {
    if (event.data.runId !== runId) continue;
    view = foldRunEvent(view, event);
  }
  if (view?.state === 'running' && !isActive(runId)) {
    return {
      ...view,
      state: 'aborted',
      reason: {
        code: 'INTERRUPTED',
        message: 'The server stopped before this run ended; its findings were not recorded. Start a new run.',
      },
    };
  }
  return view;
}

export function foldRunEvent(view: RunView | undefined, event: ReconciliationEvent): RunView | undefined {
  switch (event.type) {
    case 'ReconciliationStarted':
      return {
        runId: event.data.runId,
        companyId: event.data.companyId,
        teamId: event.data.teamId,
        mode: event.data.mode,
        state: 'running',
        actor: event.data.actor,
        startedAt: event.data.at,
        endedAt: null,
        reason: null,
        counts: null,
        findings: [],
        serviceEventsAppended: 0,
      };
    case 'ReconciliationCompleted':
      return (
        view && {
          ...view,
          state: 'completed',
          endedAt: event.data.at,
          counts: event.data.counts,
          findings: event.data.findings,
          serviceEventsAppended: event.data.serviceEventsAppended,
        }
      );
    case 'ReconciliationAborted':
      return (
        view && {
          ...view,
          state: 'aborted',
          endedAt: event.data.at,
          reason: event.data.reason,
          serviceEventsAppended: event.data.serviceEventsAppended,
        }
      );
  }
}
