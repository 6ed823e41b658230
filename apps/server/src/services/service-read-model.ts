import type { ServiceState } from '@calsync/domain';

/** One page of a company's services in registration order (docs/http-contract.md, "Pagination"). */
export interface CompanyPage<T> {
  items: T[];
  /** Registration sequence of the last item handed out; the following page starts after it. */
  lastSeq: number;
  /** True when a later service of the company was selected too (it opens the following page). */
  more: boolean;
}

/** What the rest of the server may ask of the services' read model; only the status projection writes it. */
export interface ServiceReads {
  readonly size: number;
  get(serviceId: string): ServiceState | undefined;
  /** Services of one company, in registration order. */
  listCompany(companyId: string): ServiceState[];
  /**
   * Up to `limit` services of the company registered after sequence `afterSeq` (-1: from the
   * first) that `select` keeps, in registration order. Costs the page plus the services
   * `select` drops, never the services before `afterSeq`. Undefined when `afterSeq` is not a
   * sequence of the company.
   */
  pageCompany<T>(
    companyId: string,
    afterSeq: number,
    limit: number,
    select: (state: ServiceState) => T | undefined,
  ): CompanyPage<T> | undefined;
  /** All services (the process manager and the reconciler scan them). */
  all(): ServiceState[];
}

/**
 * The state of every service, in memory. Written only by the status projection
 * (`projection/status-projection.ts`), by stream revision: a state never goes back.
 * Each company keeps its service ids in registration order; a service's registration
 * sequence is its index there (services are never removed, so indices never move).
 */
export class ServiceReadModel implements ServiceReads {
  private readonly states = new Map<string, ServiceState>();
  private readonly byCompany = new Map<string, string[]>();
  private readonly seqOf = new Map<string, number>();

  get size(): number {
    return this.states.size;
  }

  get(serviceId: string): ServiceState | undefined {
    return this.states.get(serviceId);
  }

  listCompany(companyId: string): ServiceState[] {
    const ids = this.byCompany.get(companyId) ?? [];
    return ids.flatMap((id) => {
      const state = this.states.get(id);
      return state ? [state] : [];
    });
  }

  pageCompany<T>(
    companyId: string,
    afterSeq: number,
    limit: number,
    select: (state: ServiceState) => T | undefined,
  ): CompanyPage<T> | undefined {
    const ids = this.byCompany.get(companyId) ?? [];
    if (!Number.isInteger(afterSeq) || afterSeq < -1 || afterSeq >= ids.length) {
      return afterSeq === -1 ? { items: [], lastSeq: -1, more: false } : undefined;
    }
    const items: T[] = [];
    let lastSeq = afterSeq;
    for (let seq = afterSeq + 1; seq < ids.length; seq++) {
      const state = this.states.get(ids[seq] as string);
      const item = state === undefined ? undefined : select(state);
      if (item === undefined) continue;
      // One selected service beyond the page: there is a following page.
      if (items.length === limit) return { items, lastSeq, more: true };
      items.push(item);
      lastSeq = seq;
    }
    return { items, lastSeq, more: false };
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
    if (!this.seqOf.has(state.serviceId)) {
      let ids = this.byCompany.get(state.companyId);
      if (!ids) {
        ids = [];
        this.byCompany.set(state.companyId, ids);
      }
      this.seqOf.set(state.serviceId, ids.length);
      ids.push(state.serviceId);
    }
    return true;
  }
}
