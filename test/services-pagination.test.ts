import type { ServiceView } from '@calsync/domain';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, expectError, expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme, beta } from './support/tenants.js';

interface ServicePage {
  items: ServiceView[];
  next: string | null;
}

const idsOf = (views: ServiceView[]) => views.map((view) => view.serviceId);

/** `?filters&limit=…&after=…` of `GET /v1/services`. */
function query(filters: string, limit?: number, after?: string | null): string {
  const parts = [
    ...(filters === '' ? [] : [filters]),
    ...(limit === undefined ? [] : [`limit=${limit}`]),
    ...(after === undefined || after === null ? [] : [`after=${encodeURIComponent(after)}`]),
  ];
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

async function page(api: ApiClient, filters: string, limit?: number, after?: string | null) {
  return expectStatus(await api.get<ServicePage>(`/v1/services${query(filters, limit, after)}`), 200);
}

/** Every page of the listing, `next` followed until null; the pages as fetched. */
async function allPages(api: ApiClient, filters: string, limit: number): Promise<ServicePage[]> {
  const pages: ServicePage[] = [];
  let after: string | null = null;
  do {
    const current: ServicePage = await page(api, filters, limit, after);
    pages.push(current);
    after = current.next;
    if (pages.length > 1000) throw new Error('the listing does not end');
  } while (after !== null);
  return pages;
}

const filterSets = [
  '',
  'status=never',
  'status=synced',
  'bookable=true',
  'bookable=false',
  'status=synced&bookable=true',
];

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(`GET /v1/services in pages ${engineTitle(engine)}`, () => {
    let harness: CalsyncHarness;
    /** acme's services in registration order: every third linked (synced, bookable), the others never synced. */
    let registered: string[];

    beforeAll(async () => {
      harness = await CalsyncHarness.start({ engine, tag: 'services-pages' });
      const api = harness.api(acme);
      registered = [];
      for (let index = 0; index < 23; index++) {
        const view = await api.register(serviceBody({ name: `Dienst ${index}` }));
        registered.push(view.serviceId);
        if (index % 3 === 0) await api.link(view.serviceId, harness.createEventType(acme).id);
      }
      await harness.syncSettled();
    }, 60_000);
    afterAll(async () => {
      await harness?.close();
    });

    it('without limit answers up to 100 services and next null: a company of fewer services gets them all', async () => {
      const answer = await page(harness.api(acme), '');
      expect(idsOf(answer.items)).toEqual(registered);
      expect(answer.next).toBeNull();
    });

    it('pages cover every service exactly once, in registration order, with and without filters', async () => {
      const api = harness.api(acme);
      const synced = idsOf(await api.services('?status=synced&limit=500'));
      expect(synced).toEqual(registered.filter((_, index) => index % 3 === 0));
      expect(idsOf(await api.services('?status=never&limit=500'))).toEqual(
        registered.filter((_, index) => index % 3 !== 0),
      );
      for (const filters of filterSets) {
        const whole = idsOf(await api.services(query(filters, 500)));
        for (const limit of [1, 2, 5, 7, 22, 23, 24]) {
          const pages = await allPages(api, filters, limit);
          const ids = pages.flatMap((each) => idsOf(each.items));
          expect(ids, `${filters} limit=${limit}`).toEqual(whole);
          expect(new Set(ids).size).toBe(ids.length);
          // Every page but the last is full; the last is never empty unless the listing is.
          for (const each of pages.slice(0, -1)) expect(each.items).toHaveLength(limit);
          if (whole.length > 0) expect(pages.at(-1)?.items.length).toBeGreaterThan(0);
        }
      }
    });

    it('a company sees only its own services, and a cursor of another company continues its own listing', async () => {
      const api = harness.api(beta);
      const first = await api.register(serviceBody());
      const second = await api.register(serviceBody());
      const firstPage = await page(api, '', 1);
      expect(idsOf(firstPage.items)).toEqual([first.serviceId]);
      expect(idsOf((await page(api, '', 1, firstPage.next)).items)).toEqual([second.serviceId]);
    });

    it('services registered between pages come at the end; nothing is skipped or repeated', async () => {
      const api = harness.api(acme);
      const first = await page(api, '', 10);
      expect(idsOf(first.items)).toEqual(registered.slice(0, 10));
      const added = [];
      for (let index = 0; index < 3; index++) added.push((await api.register(serviceBody())).serviceId);
      const rest: string[] = [];
      let after = first.next;
      while (after !== null) {
        const next = await page(api, '', 10, after);
        rest.push(...idsOf(next.items));
        after = next.next;
      }
      expect([...idsOf(first.items), ...rest]).toEqual([...registered, ...added]);
      registered.push(...added);
    });

    it('the filters stay with the cursor: the same filters continue, other filters are 400 INVALID_CURSOR', async () => {
      const api = harness.api(acme);
      const first = await page(api, 'status=never', 2);
      expect(first.next).not.toBeNull();
      const second = await page(api, 'status=never', 2, first.next);
      expect(second.items.every((view) => view.sync.status === 'never')).toBe(true);
      for (const other of ['', 'status=synced', 'status=never&bookable=false', 'bookable=false']) {
        const error = expectError(
          await api.get(`/v1/services${query(other, 2, first.next)}`),
          400,
          'INVALID_CURSOR',
        );
        expect(error.message).toMatch(/other filters/);
      }
    });

    it('a cursor calsync did not issue is 400 INVALID_CURSOR in the error envelope', async () => {
      const api = harness.api(acme);
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const bad = [
        'garbage',
        'not base64url!',
        '%%%',
        forged({ v: 2, seq: 1, f: '*|*' }),
        forged({ v: 1, seq: -1, f: '*|*' }),
        forged({ v: 1, seq: 1.5, f: '*|*' }),
        forged({ v: 1, seq: '1', f: '*|*' }),
        forged({ v: 1, seq: 1, f: '*|*', extra: true }),
        forged({ v: 1, seq: 1_000_000, f: '*|*' }),
        forged([1, 2]),
        'x'.repeat(300),
      ];
      for (const after of bad) {
        const error = expectError(await api.get(`/v1/services${query('', 5, after)}`), 400, 'INVALID_CURSOR');
        expect(error.message).toMatch(/Start again without "after"/);
      }
      expectError(await api.get('/v1/services?after='), 400, 'VALIDATION_FAILED');
    });

    it('limit is 1 to 500: anything else is 400 VALIDATION_FAILED naming limit', async () => {
      const api = harness.api(acme);
      for (const limit of ['0', '-1', '501', '1.5', 'ten', '']) {
        const error = expectError(await api.get(`/v1/services?limit=${limit}`), 400, 'VALIDATION_FAILED');
        expect(JSON.stringify(error.details)).toContain('limit');
      }
      expect((await page(api, '', 500)).items).toHaveLength(registered.length);
      expect((await page(api, '', 1)).items).toHaveLength(1);
    });

    it('property: for any page size and filters, the pages concatenated are the unpaginated filtered list', async () => {
      const api = harness.api(acme);
      const wholes = new Map<string, string[]>();
      for (const filters of filterSets) wholes.set(filters, idsOf(await api.services(query(filters, 500))));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...filterSets),
          fc.integer({ min: 1, max: 30 }),
          async (filters, limit) => {
            const pages = await allPages(api, filters, limit);
            expect(pages.flatMap((each) => idsOf(each.items))).toEqual(wholes.get(filters));
          },
        ),
        { numRuns: 25 },
      );
    }, 60_000);
  });
}
