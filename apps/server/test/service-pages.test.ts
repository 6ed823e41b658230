import type { ServiceState } from '@calsync/domain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServiceCursor, encodeServiceCursor } from '../src/services/service-cursor.js';
import { type CompanyPage, listKeyOf, ServiceReadModel } from '../src/services/service-read-model.js';

/** The fields of a state the read model's index reads; the rest does not matter to it. */
const stateOf = (serviceId: string, companyId: string, revision = 1) =>
  ({
    exists: true,
    serviceId,
    companyId,
    revision,
    // Registered one millisecond after another, in the order of their numbers.
    registeredAt: new Date(Date.UTC(2026, 0, 1) + Number(serviceId.slice(1))).toISOString(),
  }) as unknown as ServiceState;

/**
 * Every page of the company, following `last` until no page follows, as the route does. `modelAt`
 * says which read model answers each page (another instance's, say); `betweenPages` runs after each.
 */
function pages(
  modelAt: ServiceReadModel | ((turn: number) => ServiceReadModel),
  companyId: string,
  limit: number,
  keep: (id: string) => boolean = () => true,
  betweenPages: (turn: number) => void = () => {},
) {
  const result: string[][] = [];
  let after: string | null = null;
  for (let turn = 0; turn < 10_000; turn++) {
    const model = typeof modelAt === 'function' ? modelAt(turn) : modelAt;
    const page: CompanyPage<string> = model.pageCompany(companyId, after, limit, (state) =>
      keep(state.serviceId) ? state.serviceId : undefined,
    );
    result.push(page.items);
    if (!page.more) return result;
    after = page.last;
    betweenPages(turn);
  }
  throw new Error('the listing kept answering another page');
}

describe('The services read model in pages (docs/http-contract.md, "Pagination")', () => {
  it('property: for random services of random companies, filters and page sizes, the pages concatenated are the filtered list', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ company: fc.constantFrom('a', 'b', 'c'), kept: fc.boolean() }), {
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 40 }),
        (services, limit) => {
          const model = new ServiceReadModel();
          const kept = new Set<string>();
          services.forEach(({ company, kept: isKept }, index) => {
            model.put(stateOf(`s${index}`, company));
            if (isKept) kept.add(`s${index}`);
            // A later revision of an earlier service keeps its place.
            if (index % 5 === 4)
              model.put(stateOf(`s${index - 2}`, services[index - 2]?.company ?? '', 2 + index));
          });
          for (const company of ['a', 'b', 'c']) {
            const expected = model
              .listCompany(company)
              .map((state) => state.serviceId)
              .filter((id) => kept.has(id));
            const got = pages(model, company, limit, (id) => kept.has(id));
            expect(got.flat()).toEqual(expected);
            for (const page of got.slice(0, -1)) expect(page).toHaveLength(limit);
            if (expected.length > 0) expect(got.at(-1)?.length).toBeGreaterThan(0);
          }
        },
      ),
    );
  });

  it('property: services added between pages come at the end, none skipped or repeated', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        (initial, addedPerPage, limit) => {
          const model = new ServiceReadModel();
          let next = 0;
          const add = () => model.put(stateOf(`s${next++}`, 'a'));
          for (let index = 0; index < initial; index++) add();
          const seen = pages(model, 'a', limit, undefined, (turn) => {
            for (let index = 0; index < (addedPerPage[turn] ?? 0); index++) add();
          }).flat();
          expect(seen).toEqual(Array.from({ length: next }, (_, index) => `s${index}`));
        },
      ),
    );
  });

  it('a page reads the page and what the filter drops, never the services before the cursor', () => {
    const model = new ServiceReadModel();
    for (let index = 0; index < 10_000; index++) model.put(stateOf(`s${index}`, 'a'));
    let looked = 0;
    const after = listKeyOf(stateOf('s9000', 'a'));
    const page: CompanyPage<string> = model.pageCompany('a', after, 50, (state) => {
      looked += 1;
      return state.serviceId;
    });
    expect(page.items).toEqual(Array.from({ length: 50 }, (_, index) => `s${9_001 + index}`));
    expect(looked).toBe(51);
    expect(model.pageCompany('a', listKeyOf(stateOf('s10000', 'a')), 50, (state) => state).items).toEqual([]);
    expect(model.pageCompany('nobody', null, 50, (state) => state)).toEqual({
      items: [],
      last: null,
      more: false,
    });
  });

  it('property: instances that learn of the services in different orders list them alike', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 15 }),
        (numbers, limit) => {
          const one = new ServiceReadModel();
          const other = new ServiceReadModel();
          for (const number of numbers) one.put(stateOf(`s${number}`, 'a'));
          for (const number of [...numbers].reverse()) other.put(stateOf(`s${number}`, 'a'));
          const ordered = [...numbers].sort((x, y) => x - y).map((number) => `s${number}`);
          // A page read on one instance continues on the other.
          const seen = pages((turn) => (turn % 2 === 0 ? one : other), 'a', limit).flat();
          expect(seen).toEqual(ordered);
        },
      ),
    );
  });

  it('a cursor carries its listing key and filters; any other text is malformed', () => {
    const key = listKeyOf(stateOf('s41', 'a'));
    const cursor = encodeServiceCursor(key, { status: 'synced', bookable: true });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeServiceCursor(cursor, { status: 'synced', bookable: true })).toEqual({ key });
    expect(decodeServiceCursor(cursor, { status: 'synced' })).toEqual({ problem: 'other-filters' });
    expect(decodeServiceCursor(cursor, {})).toEqual({ problem: 'other-filters' });
    fc.assert(
      fc.property(fc.string(), (text) => {
        const decoded = decodeServiceCursor(text, {});
        expect(
          'problem' in decoded || text === encodeServiceCursor((decoded as { key: string }).key, {}),
        ).toBe(true);
      }),
    );
  });
});
