import type { ServiceState } from '@calsync/domain';

/** What the rest of the server may ask of the services' read model; only the status projection writes it. */
export interface ServiceReads {
  readonly size: number;
  get(serviceId: string): ServiceState | undefined;
  /** Services of one company, in registration order. */
  listCompany(companyId: string): ServiceState[];
  /** All services (the process manager and the reconciler scan them). */
  all(): ServiceState[];
}

/**
 * The state of every service, in memory. Written only by the status projection
 * (`projection/status-projection.ts`), by stream revision: a state never goes back.
 */
export class ServiceReadModel implements ServiceReads {
  private readonly states = new Map<string, ServiceState>();
  private readonly byCompany = new Map<string, Set<string>>();

  get size(): number {
    return this.states.size;
  }

  get(serviceId: string): ServiceState | undefined {
    return this.states.get(serviceId);
  }

  listCompany(companyId: string): ServiceState[] {
    const ids = this.byCompany.get(companyId) ?? new Set<string>();
    return [...ids].flatMap((id) => {
      const state = this.states.get(id);
      return state ? [state] : [];
    });
  }

  all(): ServiceState[] {
    return [...this.states.values()];
  }

  /** Keeps the state when it is newer than the one held; true when it was kept. */
  put(state: ServiceState): boolean {
    if (!state.exists) return false;
    const previous = this.states.get(state.serviceId);
    if (previous && previous.revision >= state.revision) return false;
    this.states.set(state.serviceId, state);
    let ids = this.byCompany.get(state.companyId);
    if (!ids) {
      ids = new Set();
      this.byCompany.set(state.companyId, ids);
    }
    ids.add(state.serviceId);
    return true;
  }
}
