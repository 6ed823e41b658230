import type { ServiceState } from '@calsync/domain';

/**
 * Where a service stands in its company's listing: registration time, then id. Both are facts of
 * the service's registration, so every instance, and every restart, orders the listing alike
 * (docs/http-contract.md, "Pagination").
 */
export type ListKey = string;

export function listKeyOf(state: Pick<ServiceState, 'registeredAt' | 'serviceId'>): ListKey {
  return `${state.registeredAt ?? ''}\u0000${state.serviceId}`;
}

/** One page of a company's services in listing order (docs/http-contract.md, "Pagination"). */
export interface CompanyPage<T> {
  items: T[];
  /** Listing key of the last item handed out; the following page starts after it. */
  last: ListKey | null;
  /** True when a later service of the company was selected too (it opens the following page). */
  more: boolean;
}

/** What the rest of the server may ask of the services' read model; only the status projection writes it. */
export interface ServiceReads {
  readonly size: number;
  get(serviceId: string): ServiceState | undefined;
  /** Services of one company, in listing order. */
  listCompany(companyId: string): ServiceState[];
  /**
   * Up to `limit` services of the company listed after `after` (null: from the first) that
   * `select` keeps, in listing order. Costs a binary search, the page and the services `select`
   * drops, never the services before `after`.
   */
  pageCompany<T>(
    companyId: string,
    after: ListKey | null,
    limit: number,
    select: (state: ServiceState) => T | undefined,
  ): CompanyPage<T>;
  /** All services (the process manager and the reconciler scan them). */
  all(): ServiceState[];
}

interface Listed {
  key: ListKey;
  serviceId: string;
}

/**
 * The state of every service, in memory. Written only by the status projection
 * (`projection/status-projection.ts`), by stream revision: a state never goes back.
 * Each company keeps its services sorted by listing key (registration time, id); services are
 * never removed and their keys never change, so a cursor keeps its place.
 */
export class ServiceReadModel implements ServiceReads {
  private readonly states = new Map<string, ServiceState>();
  private readonly byCompany = new Map<string, Listed[]>();
  private readonly listed = new Set<string>();

  get size(): number {
    return this.states.size;
  }

  get(serviceId: string): ServiceState | undefined {
    return this.states.get(serviceId);
  }

  listCompany(companyId: string): ServiceState[] {
    const entries = this.byCompany.get(companyId) ?? [];
    return entries.flatMap(({ serviceId }) => {
      const state = this.states.get(serviceId);
      return state ? [state] : [];
    });
  }

  pageCompany<T>(
    companyId: string,
    after: ListKey | null,
    limit: number,
    select: (state: ServiceState) => T | undefined,
  ): CompanyPage<T> {
    const entries = this.byCompany.get(companyId) ?? [];
    const items: T[] = [];
    let last = after;
    for (let index = after === null ? 0 : firstAfter(entries, after); index < entries.length; index++) {
      const entry = entries[index] as Listed;
      const state = this.states.get(entry.serviceId);
      const item = state === undefined ? undefined : select(state);
      if (item === undefined) continue;
      // One selected service beyond the page: there is a following page.
      if (items.length === limit) return { items, last, more: true };
      items.push(item);
      last = entry.key;
    }
    return { items, last, more: false };
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
    if (!this.listed.has(state.serviceId)) {
      this.listed.add(state.serviceId);
      let entries = this.byCompany.get(state.companyId);
      if (!entries) {
        entries = [];
        this.byCompany.set(state.companyId, entries);
      }
      const entry = { key: listKeyOf(state), serviceId: state.serviceId };
      // Registrations mostly arrive in time order: appending is the common case.
      const lastKey = entries.at(-1)?.key;
      if (lastKey === undefined || lastKey < entry.key) entries.push(entry);
      else entries.splice(firstAfter(entries, entry.key), 0, entry);
    }
    return true;
  }
}

/** The index of the first entry whose key sorts after `key` (binary search). */
function firstAfter(entries: readonly Listed[], key: ListKey): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((entries[middle] as Listed).key <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
