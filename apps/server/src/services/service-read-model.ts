import {
  evolve,
  foldService,
  initialState,
  SERVICE_STREAM_PREFIX,
  type ServiceEvent,
  type ServiceState,
  serviceStreamName,
} from '@calsync/domain';
import type { EventStore, RecordedEvent } from '@calsync/eventstore';
import { fromRecorded } from './event-codec.js';

/**
 * The status projection: the state of every service, kept by a subscription to all service
 * streams and, for read-your-writes, also fed directly by the command bus right after an
 * append. Events are applied by stream revision, so each is applied once whichever path
 * delivers it first; a gap (an event this process has not seen) reloads the stream.
 */
export class ServiceReadModel {
  private readonly states = new Map<string, ServiceState>();
  private readonly byCompany = new Map<string, Set<string>>();

  constructor(private readonly store: EventStore) {}

  get size(): number {
    return this.states.size;
  }

  get(serviceId: string): ServiceState | undefined {
    return this.states.get(serviceId);
  }

  /** Services of one company, in registration order. */
  listCompany(companyId: string): ServiceState[] {
    const ids = this.byCompany.get(companyId) ?? new Set<string>();
    return [...ids].flatMap((id) => {
      const state = this.states.get(id);
      return state ? [state] : [];
    });
  }

  /** All services (the process manager and the reconciler scan them). */
  all(): ServiceState[] {
    return [...this.states.values()];
  }

  /** Applies events appended at `fromRevision` (0-based revision of the first one). */
  async applyAppended(
    serviceId: string,
    fromRevision: number,
    events: readonly ServiceEvent[],
  ): Promise<void> {
    const current = this.states.get(serviceId) ?? initialState();
    if (current.revision < fromRevision) {
      await this.reload(serviceId);
      return;
    }
    const unseen = events.slice(current.revision - fromRevision);
    if (unseen.length > 0) this.put(unseen.reduce(evolve, current));
  }

  /** The subscription's handler: one stored event of any stream. */
  async handle(recorded: RecordedEvent): Promise<void> {
    if (!recorded.streamName.startsWith(SERVICE_STREAM_PREFIX)) return;
    const serviceId = recorded.streamName.slice(SERVICE_STREAM_PREFIX.length);
    await this.applyAppended(serviceId, Number(recorded.revision), [fromRecorded(recorded)]);
  }

  /** Restores states from a snapshot (before the subscription starts). */
  restore(states: readonly ServiceState[]): void {
    for (const state of states) this.put(state);
  }

  /** Re-reads a service's stream from the store. */
  async reload(serviceId: string): Promise<ServiceState> {
    const recorded = await this.store.readStream(serviceStreamName(serviceId));
    if (recorded.isErr()) throw new Error(recorded.error.message, { cause: recorded.error });
    const state = foldService(recorded.value.map(fromRecorded));
    if (state.exists) this.put(state);
    return state;
  }

  private put(state: ServiceState): void {
    const previous = this.states.get(state.serviceId);
    if (previous && previous.revision >= state.revision) return;
    this.states.set(state.serviceId, state);
    let ids = this.byCompany.get(state.companyId);
    if (!ids) {
      ids = new Set();
      this.byCompany.set(state.companyId, ids);
    }
    ids.add(state.serviceId);
  }
}
