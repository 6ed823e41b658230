import { randomUUID } from 'node:crypto';
import {
  SERVICE_STREAM_PREFIX,
  type ServiceEvent,
  type ServiceState,
  TEAM_STREAM_PREFIX,
  type TeamSyncEvent,
  type TeamSyncState,
  teamIdOfStream,
} from '@calsync/domain';
import type { EventStore, RecordedEvent, Subscription } from '@calsync/eventstore';
import pino, { type Logger } from 'pino';
import { type DecisionStates, foldStream, type Versioned } from '../commands/command-bus.js';
import { serviceDecider, teamSyncDecider } from '../commands/stream-deciders.js';
import { fromRecorded } from '../services/event-codec.js';
import { ServiceReadModel } from '../services/service-read-model.js';
import { StatusSnapshots } from './status-snapshots.js';
import { TeamReadModel } from './team-read-model.js';

/** How often the projection's durable checkpoint is written by default (docs/operations.md). */
export const SNAPSHOT_EVERY_MS = 30_000;
export const SNAPSHOT_EVERY_EVENTS = 5_000;

export interface StatusProjectionOptions {
  store: EventStore;
  /** Default: silent. */
  logger?: Logger;
  /** Ids of snapshot events; default: random UUIDs. */
  newId?: () => string;
  /** A snapshot every this many ms (default 30 s) or handled events (default 5,000). */
  snapshotEveryMs?: number;
  snapshotEveryEvents?: number;
}

type Listener<Key> = (key: Key) => void;

/**
 * The status projection (docs/architecture.md): the only feeder of the read models, services and
 * teams. One subscription to the `service-` and `team-` streams reads every stored event once;
 * the command bus hands it what this process appended (read-your-writes). Events are applied by
 * stream revision, so each is applied once whichever path delivers it first; a gap (an event this
 * process has not seen) reloads the stream. Listeners hear of every change (the sync process
 * manager looks at the service, or at the team's services, again). Durable snapshots let a
 * restart catch up from a position instead of folding every stream.
 */
export class StatusProjection {
  readonly services = new ServiceReadModel();
  readonly teams = new TeamReadModel();
  /** Where the command bus decides service commands, and hands back their events. */
  readonly serviceStates: DecisionStates<ServiceState, ServiceEvent>;
  /** Where the command bus decides team sync commands, and hands back their events. */
  readonly teamStates: DecisionStates<TeamSyncState, TeamSyncEvent>;
  private readonly serviceListeners = new Set<Listener<string>>();
  private readonly teamListeners = new Set<Listener<number>>();
  private subscription: Subscription | undefined;
  private handledSinceSnapshot = 0;
  /** The handled-event count at which the next snapshot is written (pushed back after a refusal). */
  private snapshotDueAt: number;
  private snapshotting: Promise<void> | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Set once the start-up catch-up is done: from then on a snapshot every `snapshotEveryEvents` too. */
  private following = false;
  private readonly snapshots: StatusSnapshots;

  private readonly logger: Logger;
  private readonly newId: () => string;

  constructor(private readonly options: StatusProjectionOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.newId = options.newId ?? randomUUID;
    this.snapshots = new StatusSnapshots(options.store, this.newId);
    this.snapshotDueAt = this.snapshotEveryEvents;
    this.serviceStates = {
      cached: (stream) => {
        const state = this.services.get(serviceIdOf(stream));
        return state ? { state, revision: state.revision } : undefined;
      },
      loaded: (_stream, loaded) => this.putService(loaded.state),
      appended: (stream, fromRevision, events) => {
        const serviceId = serviceIdOf(stream);
        const current = this.services.get(serviceId);
        const at = current?.revision ?? 0;
        // Events before these that this process has not seen yet: the subscription delivers them all.
        if (at < fromRevision) return;
        const unseen = events.slice(at - fromRevision);
        if (unseen.length > 0)
          this.putService(unseen.reduce(serviceDecider.evolve, current ?? serviceDecider.initialState()));
      },
    };
    this.teamStates = {
      cached: (stream) => this.teams.get(teamIdOrThrow(stream)),
      loaded: (stream, loaded) => this.putTeam(teamIdOrThrow(stream), loaded),
      appended: (stream, fromRevision, events) => {
        const teamId = teamIdOrThrow(stream);
        const current = this.teams.get(teamId) ?? {
          teamId,
          revision: 0,
          state: teamSyncDecider.initialState(),
        };
        if (current.revision < fromRevision) return; // the subscription delivers them all
        const unseen = events.slice(current.revision - fromRevision);
        this.putTeam(teamId, {
          state: unseen.reduce(teamSyncDecider.evolve, current.state),
          revision: fromRevision + events.length,
        });
      },
    };
  }

  private get snapshotEveryEvents(): number {
    return this.options.snapshotEveryEvents ?? SNAPSHOT_EVERY_EVENTS;
  }

  /** Calls `listener` with the service id after every change of a service's state; returns an unsubscribe. */
  onServiceChanged(listener: Listener<string>): () => void {
    this.serviceListeners.add(listener);
    return () => this.serviceListeners.delete(listener);
  }

  /** Calls `listener` with the team id after every change of a team's pause; returns an unsubscribe. */
  onTeamChanged(listener: Listener<number>): () => void {
    this.teamListeners.add(listener);
    return () => this.teamListeners.delete(listener);
  }

  /** Restores the newest snapshot, then catches up with the store and follows it. */
  async start(): Promise<void> {
    if (this.subscription) throw new Error('StatusProjection.start() runs once');
    const snapshot = await this.snapshots.load();
    if (snapshot) {
      for (const state of snapshot.states) this.services.put(state);
      for (const team of snapshot.teams) this.teams.put(team);
    }
    let replayed = 0;
    this.subscription = this.options.store.subscribe({
      streamPrefixes: [SERVICE_STREAM_PREFIX, TEAM_STREAM_PREFIX],
      ...(snapshot ? { after: snapshot.position } : {}),
      handler: async (event) => {
        await this.handle(event);
        replayed++;
        // While catching up at start, only the timer snapshots (docs/events.md#snapshots).
        if (++this.handledSinceSnapshot >= this.snapshotDueAt && this.following) void this.snapshot();
      },
      onError: (error) => this.logger.error({ err: error }, 'status projection stopped'),
    });
    this.snapshotTimer = setInterval(
      () => void this.snapshot(),
      this.options.snapshotEveryMs ?? SNAPSHOT_EVERY_MS,
    );
    this.snapshotTimer.unref();
    try {
      await this.subscription.caughtUp();
    } catch (error) {
      clearInterval(this.snapshotTimer);
      throw error;
    }
    this.following = true;
    this.logger.info(
      { services: this.services.size, fromSnapshot: Boolean(snapshot), replayed },
      'status projection caught up',
    );
    // What the catch-up folded is kept at once: a restart now starts from here.
    if (this.handledSinceSnapshot >= this.snapshotEveryEvents) void this.snapshot();
  }

  /** Resolves once every event committed before the call is applied; rejects when the subscription failed. */
  caughtUp(): Promise<void> {
    return this.subscription?.caughtUp() ?? Promise.resolve();
  }

  /** Resolves once every event up to `position` is applied; rejects for a position the store never issued. */
  reached(position: string): Promise<void> {
    return this.subscription?.reached(position) ?? Promise.resolve();
  }

  /** Stops following the store and writes a last snapshot. */
  async stop(): Promise<void> {
    clearInterval(this.snapshotTimer);
    await this.subscription?.stop();
    await this.snapshot();
  }

  /** Writes a durable checkpoint of the projection when it handled events since the last. */
  snapshot(): Promise<void> {
    this.snapshotting ??= this.writeSnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  private async writeSnapshot(): Promise<void> {
    const position = this.subscription?.lastPosition;
    if (!position || this.handledSinceSnapshot === 0) return;
    const handled = this.handledSinceSnapshot;
    try {
      await this.snapshots.save({
        position,
        states: this.services.all(),
        teams: this.teams.all(),
      });
      this.handledSinceSnapshot -= handled;
      this.snapshotDueAt = this.snapshotEveryEvents;
    } catch (error) {
      // Not again at every event: one more try after as many events again (or on the timer).
      this.snapshotDueAt = this.handledSinceSnapshot + this.snapshotEveryEvents;
      this.logger.warn(
        { err: error },
        'status projection checkpoint not written; the next start replays more',
      );
    }
  }

  /** The subscription's handler: one stored event of a service or team stream. */
  private async handle(recorded: RecordedEvent): Promise<void> {
    const revision = Number(recorded.revision);
    if (recorded.streamName.startsWith(SERVICE_STREAM_PREFIX)) {
      const serviceId = serviceIdOf(recorded.streamName);
      const current = this.services.get(serviceId);
      const at = current?.revision ?? 0;
      if (revision < at) return;
      if (revision > at) {
        await this.reloadService(serviceId);
        return;
      }
      this.putService(
        serviceDecider.evolve(current ?? serviceDecider.initialState(), fromRecorded(recorded)),
      );
      return;
    }
    const teamId = teamIdOfStream(recorded.streamName);
    if (teamId === null) return;
    const current = this.teams.get(teamId) ?? { teamId, revision: 0, state: teamSyncDecider.initialState() };
    if (revision < current.revision) return;
    if (revision > current.revision) {
      this.putTeam(teamId, foldStream(teamSyncDecider, await this.readStream(recorded.streamName)));
      return;
    }
    let event: TeamSyncEvent | null;
    try {
      event = teamSyncDecider.decode(recorded);
    } catch (error) {
      // A corrupt team fact must not stop the status of every service: it is skipped and logged.
      this.logger.error(
        { err: error, stream: recorded.streamName },
        'status projection skipped an unreadable team event',
      );
      event = null;
    }
    this.putTeam(teamId, {
      state: event ? teamSyncDecider.evolve(current.state, event) : current.state,
      revision: revision + 1,
    });
  }

  private async reloadService(serviceId: string): Promise<void> {
    const stream = `${SERVICE_STREAM_PREFIX}${serviceId}`;
    this.putService(foldStream(serviceDecider, await this.readStream(stream)).state);
  }

  /** A stream read for a gap; a store that fails stops the subscription (readiness reports it). */
  private async readStream(stream: string): Promise<RecordedEvent[]> {
    const read = await this.options.store.readStream(stream);
    if (read.isErr()) throw new Error(read.error.message, { cause: read.error });
    return read.value;
  }

  private putService(state: ServiceState): void {
    if (this.services.put(state)) this.notify(this.serviceListeners, state.serviceId);
  }

  private putTeam(teamId: number, next: Versioned<TeamSyncState>): void {
    const before = this.teams.get(teamId)?.state;
    if (this.teams.put({ teamId, ...next }) && next.state.paused !== (before?.paused ?? null))
      this.notify(this.teamListeners, teamId);
  }

  private notify<Key>(listeners: Set<Listener<Key>>, key: Key): void {
    for (const listener of listeners) {
      try {
        listener(key);
      } catch (error) {
        // A listener's bug must not stop the projection.
        this.logger.error({ err: error, key }, 'a status projection listener failed');
      }
    }
  }
}

function serviceIdOf(stream: string): string {
  return stream.slice(SERVICE_STREAM_PREFIX.length);
}

function teamIdOrThrow(stream: string): number {
  const teamId = teamIdOfStream(stream);
  if (teamId === null) throw new Error(`${stream} is not a team stream`);
  return teamId;
}
