import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CalcomSnapshot, toCalcomValues } from '../src/calcom-mapping.js';
import type { ServiceCommand } from '../src/commands.js';
import { decide } from '../src/decide.js';
import { defaultFields, type ServiceFields } from '../src/fields.js';
import {
  type MissCounter,
  planReconciliation,
  type ReconciliationAbortReason,
  type ReconciliationInput,
  type ReconciliationPlan,
  reconciliationFindingSchema,
} from '../src/reconciliation.js';
import { evolve, initialState, type ServiceState } from '../src/service-state.js';

const COMPANY = 'acme';
const TEAM = 42;
const AT = '2025-03-01T10:00:00.000Z';
const settings = { missesBeforeOrphan: 3, maxMissingShare: 0.5 };

function fieldsOf(n: number): ServiceFields {
  return {
    ...defaultFields,
    name: `Service ${n}`,
    slug: `service-${n}`,
    durationMinutes: 30,
    price: { amount: 3500, currency: 'EUR' },
  };
}

function apply(state: ServiceState, command: ServiceCommand): ServiceState {
  const decided = decide(command, state);
  if (decided.isErr()) throw new Error(`${command.type}: ${decided.error.message}`);
  return decided.value.reduce(evolve, state);
}

/** Service n of `company`, linked to event type 1000+n and confirmed synced by Cal.com. */
function syncedService(n: number, options: { company?: string; fields?: ServiceFields } = {}): ServiceState {
  const meta = {
    serviceId: `svc-${n}`,
    companyId: options.company ?? COMPANY,
    actor: 'admin:alice' as const,
  };
  const fields = options.fields ?? fieldsOf(n);
  let state = apply(initialState(), {
    ...meta,
    at: '2025-03-01T09:00:00.000Z',
    type: 'RegisterService',
    fields,
    calcom: { teamId: TEAM, eventTypeId: 1000 + n },
    syncId: `link-${n}`,
  });
  state = apply(state, {
    ...meta,
    actor: 'system:sync',
    at: '2025-03-01T09:00:01.000Z',
    type: 'RecordSyncSucceeded',
    syncId: `link-${n}`,
    eventTypeId: 1000 + n,
    pushed: toCalcomValues(fields),
    durationMs: 10,
  });
  return state;
}

/** What Cal.com lists for a service that holds exactly what the platform pushed, with `changes` made in its UI. */
function listedAs(state: ServiceState, changes: Partial<CalcomSnapshot> = {}): CalcomSnapshot {
  const fields = state.fields as ServiceFields;
  return {
    ...toCalcomValues(fields),
    id: state.link?.eventTypeId ?? 0,
    teamId: TEAM,
    price: fields.price.amount,
    currency: fields.price.currency.toLowerCase(),
    ...changes,
  };
}

function foreign(id: number, title = `Foreign ${id}`): CalcomSnapshot {
  return listedAs(syncedService(0), { id, title, slug: `foreign-${id}` });
}

/** given(services).withCounters(...).whenCalcomLists(...) → the plan. */
function given(...services: ServiceState[]) {
  let previousMisses: MissCounter[] = [];
  let extra: Partial<ReconciliationInput> = {};
  const run = (listing: ReconciliationInput['listing']): ReconciliationPlan =>
    planReconciliation({
      companyId: COMPANY,
      teamId: TEAM,
      at: AT,
      services,
      previousMisses,
      listing,
      settings,
      ...extra,
    });
  const scenario = {
    withCounters(...counters: MissCounter[]) {
      previousMisses = counters;
      return scenario;
    },
    with(more: Partial<ReconciliationInput>) {
      extra = more;
      return scenario;
    },
    whenCalcomLists: (...eventTypes: CalcomSnapshot[]) => run({ ok: true, eventTypes }),
    whenListingFails: (reason: ReconciliationAbortReason) => run({ ok: false, reason }),
  };
  return scenario;
}

function planned(plan: ReconciliationPlan) {
  if (plan.outcome !== 'planned') throw new Error(`expected a plan, the run aborted: ${plan.reason.message}`);
  for (const finding of plan.findings)
    expect(reconciliationFindingSchema.safeParse(finding).success).toBe(true);
  return plan;
}

function aborted(plan: ReconciliationPlan) {
  if (plan.outcome !== 'aborted') throw new Error(`expected an abort, got ${plan.findings.length} findings`);
  expect(plan.reason.message.length).toBeGreaterThan(40);
  return plan.reason;
}

const eighteen = Array.from({ length: 18 }, (_, i) => syncedService(i + 1));

describe('reconciliation planning: comparing what Cal.com lists with the linked services (docs/sync.md)', () => {
  it('confirms every linked service that Cal.com shows exactly as pushed, and commands nothing', () => {
    const plan = planned(given(...eighteen).whenCalcomLists(...eighteen.map((s) => listedAs(s))));
    expect(plan.counts).toMatchObject({ linked: 18, listed: 18, confirmed: 18, diverged: 0, missing: 0 });
    expect(plan.commands).toEqual([]);
    expect(plan.misses).toEqual([]);
  });

  it('finds a UI edit of title, length, hidden and price as one divergence listing each field with both values', () => {
    const [service] = eighteen as [ServiceState];
    const edited = listedAs(service, { title: 'Edited', lengthInMinutes: 45, hidden: true, price: 4000 });
    const plan = planned(given(service).whenCalcomLists(edited));
    expect(plan.findings).toEqual([
      {
        kind: 'diverged',
        serviceId: 'svc-1',
        eventTypeId: 1001,
        alreadyRecorded: false,
        fields: [
          { field: 'name', platform: 'Service 1', calcom: 'Edited' },
          { field: 'durationMinutes', platform: 30, calcom: 45 },
          { field: 'isActive', platform: true, calcom: false },
          {
            field: 'price',
            platform: { amount: 3500, currency: 'EUR' },
            calcom: { amount: 4000, currency: 'EUR' },
          },
        ],
      },
    ]);
    expect(plan.commands).toEqual([
      {
        type: 'RecordCalcomObservation',
        serviceId: 'svc-1',
        companyId: COMPANY,
        actor: 'calcom:reconciliation',
        at: AT,
        source: 'reconciliation',
        snapshot: edited,
      },
    ]);
  });

  it('reports a divergence that is already open without recording it again', () => {
    const [service] = eighteen as [ServiceState];
    const edited = listedAs(service, { title: 'Edited' });
    const [observation] = planned(given(service).whenCalcomLists(edited)).commands as [ServiceCommand];
    const divergedState = apply(service, observation);
    const plan = planned(given(divergedState).whenCalcomLists(edited));
    expect(plan.findings).toMatchObject([{ kind: 'diverged', alreadyRecorded: true }]);
    expect(plan.commands).toEqual([]);
  });

  it('is not fooled by a lower-case currency or by a push still on its way', () => {
    const [service] = eighteen as [ServiceState];
    const pending = apply(service, {
      serviceId: 'svc-1',
      companyId: COMPANY,
      actor: 'admin:alice',
      at: AT,
      type: 'EditService',
      patch: { name: 'Renamed on the platform' },
      syncId: 'edit-1',
    });
    const plan = planned(given(pending).whenCalcomLists(listedAs(service, { currency: 'eur' })));
    expect(plan.findings).toEqual([{ kind: 'confirmed', serviceId: 'svc-1', eventTypeId: 1001 }]);
  });

  it('does not take a push confirmed while the listing was on its way for a divergence', () => {
    const [before] = eighteen as [ServiceState];
    const meta = { serviceId: 'svc-1', companyId: COMPANY, at: AT };
    const edited = apply(before, {
      ...meta,
      actor: 'admin:alice',
      type: 'EditService',
      patch: { durationMinutes: 60 },
      syncId: 'e1',
    });
    const after = apply(edited, {
      ...meta,
      actor: 'system:sync',
      type: 'RecordSyncSucceeded',
      syncId: 'e1',
      eventTypeId: 1001,
      pushed: toCalcomValues(edited.fields as ServiceFields),
      durationMs: 5,
    });
    // Cal.com answered the listing before the push landed: it still shows 30 minutes.
    const plan = planned(
      given(after)
        .with({ servicesBeforeListing: [edited] })
        .whenCalcomLists(listedAs(before)),
    );
    expect(plan.findings).toEqual([{ kind: 'confirmed', serviceId: 'svc-1', eventTypeId: 1001 }]);
  });
});

describe('reconciliation planning: event types that are not listed (docs/sync.md, principle 4)', () => {
  const [first, ...others] = eighteen as [ServiceState, ...ServiceState[]];
  const othersListed = others.map((s) => listedAs(s));

  it('counts a first miss without commanding anything', () => {
    const plan = planned(given(...eighteen).whenCalcomLists(...othersListed));
    expect(plan.findings).toContainEqual({
      kind: 'missing',
      serviceId: 'svc-1',
      eventTypeId: 1001,
      consecutiveMisses: 1,
      missesBeforeOrphan: 3,
    });
    expect(plan.misses).toEqual([{ serviceId: 'svc-1', eventTypeId: 1001, consecutiveMisses: 1 }]);
    expect(plan.commands).toEqual([]);
  });

  it('records the event type as missing only at the configured number of consecutive misses, never touching isActive', () => {
    const plan = planned(
      given(...eighteen)
        .withCounters({ serviceId: 'svc-1', eventTypeId: 1001, consecutiveMisses: 2 })
        .whenCalcomLists(...othersListed),
    );
    expect(plan.findings).toContainEqual({
      kind: 'orphaned',
      serviceId: 'svc-1',
      eventTypeId: 1001,
      consecutiveMisses: 3,
    });
    expect(plan.commands).toEqual([
      {
        type: 'MarkCalcomEventTypeMissing',
        serviceId: 'svc-1',
        companyId: COMPANY,
        actor: 'calcom:reconciliation',
        at: AT,
        eventTypeId: 1001,
        evidence: 'reconciliation',
        consecutiveMisses: 3,
      },
    ]);
    expect(plan.misses).toEqual([]);
    const orphaned = apply(first, plan.commands[0] as ServiceCommand);
    expect(orphaned.status).toBe('orphaned');
    expect(orphaned.fields?.isActive).toBe(true);
  });

  it('resets the counter when the event type reappears', () => {
    const plan = planned(
      given(...eighteen)
        .withCounters({ serviceId: 'svc-1', eventTypeId: 1001, consecutiveMisses: 2 })
        .whenCalcomLists(listedAs(first), ...othersListed),
    );
    expect(plan.misses).toEqual([]);
    expect(plan.findings).toContainEqual({ kind: 'confirmed', serviceId: 'svc-1', eventTypeId: 1001 });
  });

  it("does not carry a counter over to the service's next event type", () => {
    const plan = planned(
      given(...eighteen)
        .withCounters({ serviceId: 'svc-1', eventTypeId: 999, consecutiveMisses: 2 })
        .whenCalcomLists(...othersListed),
    );
    expect(plan.misses).toEqual([{ serviceId: 'svc-1', eventTypeId: 1001, consecutiveMisses: 1 }]);
  });

  it('reports a service already recorded as missing, still absent or back, without counting or commanding', () => {
    const orphaned = apply(first, {
      serviceId: 'svc-1',
      companyId: COMPANY,
      actor: 'calcom:reconciliation',
      at: AT,
      type: 'MarkCalcomEventTypeMissing',
      eventTypeId: 1001,
      evidence: 'reconciliation',
      consecutiveMisses: 3,
    });
    const absent = planned(given(orphaned, ...others).whenCalcomLists(...othersListed));
    expect(absent.findings).toContainEqual({ kind: 'still_orphaned', serviceId: 'svc-1', eventTypeId: 1001 });
    expect(absent.commands).toEqual([]);
    const back = planned(given(orphaned, ...others).whenCalcomLists(listedAs(first), ...othersListed));
    expect(back.findings).toContainEqual({ kind: 'reappeared', serviceId: 'svc-1', eventTypeId: 1001 });
    expect(back.counts).toMatchObject({ reappeared: 1, stillOrphaned: 0, confirmed: 17 });
  });
});

describe('reconciliation planning: aborting on missing evidence (docs/sync.md)', () => {
  it('aborts when the team list answers empty while 18 services are linked (the outage of the seeds)', () => {
    const reason = aborted(given(...eighteen).whenCalcomLists());
    expect(reason.code).toBe('LISTING_EMPTY');
    expect(reason.message).toContain('18 service(s) are linked');
  });

  it('aborts with the reason of a failed listing', () => {
    const failure = {
      code: 'CALCOM_UNAVAILABLE' as const,
      message: 'Cal.com answered 500 Internal server error.',
    };
    expect(aborted(given(...eighteen).whenListingFails(failure))).toEqual(failure);
  });

  it('aborts when more than the allowed share of linked services would go missing at once', () => {
    const reason = aborted(
      given(...eighteen).whenCalcomLists(...eighteen.slice(0, 8).map((s) => listedAs(s))),
    );
    expect(reason.code).toBe('TOO_MANY_MISSING');
    expect(reason.message).toContain('10 of 18 linked services (56 %)');
  });

  it('goes ahead when exactly the allowed share is missing', () => {
    const plan = planned(given(...eighteen).whenCalcomLists(...eighteen.slice(0, 9).map((s) => listedAs(s))));
    expect(plan.counts.missing).toBe(9);
  });

  it('aborts on a listing that names an event type twice or one of another team', () => {
    const [service] = eighteen as [ServiceState];
    expect(aborted(given(service).whenCalcomLists(listedAs(service), listedAs(service))).code).toBe(
      'LISTING_INCONSISTENT',
    );
    expect(aborted(given(service).whenCalcomLists(listedAs(service, { teamId: 7 }))).code).toBe(
      'LISTING_INCONSISTENT',
    );
  });

  it('accepts an empty listing when no service is linked', () => {
    const plan = planned(given(syncedService(1, { company: 'other' })).whenCalcomLists());
    expect(plan.counts).toMatchObject({ linked: 0, listed: 0 });
    expect(plan.findings).toEqual([]);
  });
});

describe('reconciliation planning: import candidates (docs/sync.md)', () => {
  it('lists every event type no service is linked to, with its price in platform terms', () => {
    const [service] = eighteen as [ServiceState];
    const plan = planned(given(service).whenCalcomLists(listedAs(service), foreign(2001, 'Bartpflege')));
    expect(plan.findings).toContainEqual({
      kind: 'import_candidate',
      eventTypeId: 2001,
      title: 'Bartpflege',
      slug: 'foreign-2001',
      lengthInMinutes: 30,
      hidden: false,
      price: { amount: 3500, currency: 'EUR' },
    });
    expect(plan.counts.candidates).toBe(1);
  });

  it("never offers an event type linked by another company's service, and ignores that service", () => {
    const theirs = syncedService(5, { company: 'other' });
    const plan = planned(
      given(theirs)
        .with({ linkedElsewhere: new Set([1005]) })
        .whenCalcomLists(listedAs(theirs)),
    );
    expect(plan.findings).toEqual([]);
  });
});

describe('reconciliation planning: properties', () => {
  const pool = Array.from({ length: 30 }, (_, i) => syncedService(i + 1));
  const services = fc.integer({ min: 1, max: pool.length }).map((n) => pool.slice(0, n));
  const abortCodes = fc.constantFrom('CALCOM_UNAVAILABLE' as const, 'LISTING_UNPARSEABLE' as const);

  it('a failed listing never yields a service command', () => {
    fc.assert(
      fc.property(services, abortCodes, fc.string({ minLength: 1 }), (linked, code, message) => {
        const plan = given(...linked).whenListingFails({ code, message });
        expect(plan).toEqual({ outcome: 'aborted', reason: { code, message } });
      }),
    );
  });

  it('an empty listing never yields a service command while services are linked', () => {
    fc.assert(
      fc.property(services, (linked) => {
        expect(given(...linked).whenCalcomLists()).toMatchObject({
          outcome: 'aborted',
          reason: { code: 'LISTING_EMPTY' },
        });
      }),
    );
  });

  it('a partial listing never yields a service command: it aborts past the share, else only counts misses', () => {
    const scenario = services.chain((linked) =>
      fc.record({
        linked: fc.constant(linked),
        shown: fc.subarray(linked),
        share: fc.double({ min: 0, max: 1, noNaN: true }),
        missesBeforeOrphan: fc.integer({ min: 2, max: 10 }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ linked, shown, share, missesBeforeOrphan }) => {
        const plan = planReconciliation({
          companyId: COMPANY,
          teamId: TEAM,
          at: AT,
          services: linked,
          previousMisses: [],
          listing: { ok: true, eventTypes: shown.map((s) => listedAs(s)) },
          settings: { missesBeforeOrphan, maxMissingShare: share },
        });
        const absentShare = (linked.length - shown.length) / linked.length;
        if (shown.length === 0 || absentShare > share) {
          expect(plan.outcome).toBe('aborted');
          return;
        }
        const ok = planned(plan);
        expect(ok.commands).toEqual([]);
        expect(ok.counts.missing).toBe(linked.length - shown.length);
        expect(ok.counts.confirmed).toBe(shown.length);
      }),
    );
  });

  it('records an event type as missing exactly when its counter reaches the configured number', () => {
    const scenario = services.chain((linked) =>
      fc.record({
        linked: fc.constant(linked),
        shownIndexes: fc.uniqueArray(fc.nat({ max: linked.length - 1 }), {
          minLength: Math.ceil(linked.length / 2),
        }),
        counters: fc.array(fc.integer({ min: 0, max: 4 }), {
          minLength: linked.length,
          maxLength: linked.length,
        }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ linked, shownIndexes, counters }) => {
        const previousMisses = linked.flatMap((s, i) =>
          (counters[i] ?? 0) > 0
            ? [
                {
                  serviceId: s.serviceId,
                  eventTypeId: s.link?.eventTypeId ?? 0,
                  consecutiveMisses: counters[i] ?? 0,
                },
              ]
            : [],
        );
        const shown = new Set(shownIndexes);
        const plan = planned(
          given(...linked)
            .withCounters(...previousMisses)
            .whenCalcomLists(...linked.filter((_, i) => shown.has(i)).map((s) => listedAs(s))),
        );
        const orphanedNow = linked.flatMap((s, i) =>
          !shown.has(i) && (counters[i] ?? 0) + 1 >= settings.missesBeforeOrphan ? [s.serviceId] : [],
        );
        expect(plan.commands.map((c) => c.serviceId)).toEqual(orphanedNow);
        expect(plan.commands.every((c) => c.type === 'MarkCalcomEventTypeMissing')).toBe(true);
        for (const counter of plan.misses)
          expect(counter.consecutiveMisses).toBeLessThan(settings.missesBeforeOrphan);
      }),
    );
  });
});
