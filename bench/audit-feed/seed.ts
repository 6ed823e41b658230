import { randomUUID } from 'node:crypto';
import { defaultFields } from '@calsync/domain';
import { type EventStore, expected, type NewEvent } from '@calsync/eventstore';

/**
 * Seeds service streams straight through the store, bypassing the server: each service gets a
 * `ServiceRegistered` and then `ServiceEdited`s, in one append per stream (the payloads of
 * docs/events.md, schema version 1). The server validates every one of them when its status
 * projection catches up at start, so a wrong shape fails the benchmark rather than skewing it.
 */

export interface SeedCompany {
  id: string;
  services: number;
}

export interface SeedPlan {
  /** Companies whose services are interleaved one by one in commit order (c0, c1, …, c0, c1, …). */
  interleaved: SeedCompany[];
  /** A small company whose services are spread evenly through the whole feed. */
  sparse: SeedCompany;
  eventsPerService: number;
}

export interface SeededService {
  serviceId: string;
  companyId: string;
}

const at = '2026-12-01T09:00:00.000Z';
const actor = 'admin:bench';

function registered(serviceId: string, companyId: string, index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'ServiceRegistered',
    data: {
      schemaVersion: 1,
      serviceId,
      companyId,
      actor,
      at,
      origin: 'platform',
      fields: {
        ...defaultFields,
        name: `Service ${index}`,
        slug: `service-${index}`,
        description: 'Waschen, schneiden, föhnen',
        durationMinutes: 30,
        price: { amount: 3500, currency: 'EUR' },
        category: 'Haare',
        priority: 1,
      },
    },
  };
}

function edited(serviceId: string, companyId: string, edit: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'ServiceEdited',
    data: {
      schemaVersion: 1,
      serviceId,
      companyId,
      actor,
      at,
      reason: 'edit',
      changes: [{ field: 'durationMinutes', from: 30 + edit - 1, to: 30 + edit }],
    },
  };
}

/** The services in the order they are appended. */
export function seedOrder(plan: SeedPlan): SeededService[] {
  const order: SeededService[] = [];
  const most = Math.max(...plan.interleaved.map((company) => company.services));
  for (let i = 0; i < most; i++) {
    for (const company of plan.interleaved) {
      if (i < company.services)
        order.push({ serviceId: `${company.id}-service-${i}`, companyId: company.id });
    }
  }
  const gap = Math.max(1, Math.floor(order.length / plan.sparse.services));
  for (let i = plan.sparse.services - 1; i >= 0; i--) {
    order.splice(Math.min(order.length, Math.floor(gap / 2) + i * gap), 0, {
      serviceId: `${plan.sparse.id}-service-${i}`,
      companyId: plan.sparse.id,
    });
  }
  return order;
}

/**
 * Appends every service's events, `concurrency` appends in flight; appends that queue in the
 * store go to the server together. Returns the services in the order they were submitted.
 */
export async function seed(store: EventStore, plan: SeedPlan, concurrency = 16): Promise<SeededService[]> {
  const order = seedOrder(plan);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const service = order[index];
      if (!service) return;
      const events = [registered(service.serviceId, service.companyId, index)];
      for (let edit = 1; edit < plan.eventsPerService; edit++)
        events.push(edited(service.serviceId, service.companyId, edit));
      const appended = await store.appendToStream(`service-${service.serviceId}`, events, expected.noStream);
      if (appended.isErr()) throw new Error(`seeding ${service.serviceId}: ${appended.error.message}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return order;
}
