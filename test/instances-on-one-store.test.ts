import type { ServiceView } from '@calsync/domain';
import type { RunningServer } from '@calsync/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { serviceBody } from './support/service-bodies.js';
import { storeEngines } from './support/store-engines.js';
import { acme, beta } from './support/tenants.js';

/**
 * docs/operations.md, "Several instances": two calsync processes' worth of servers on one
 * PostgreSQL schema. Each Cal.com team is worked by exactly one of them; a query on either reflects
 * a command acknowledged by the other.
 */

const postgres = storeEngines().find((engine) => engine.name === 'postgres')!;
const LEASE_CHECK_MS = 100;

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
};

describe.skipIf(postgres.skipReason !== null)(
  `two instances on one PostgreSQL schema${postgres.skipReason ? ` (${postgres.skipReason})` : ''}`,
  () => {
    let harness: CalsyncHarness;
    let sibling: RunningServer;
    const teamsOf = (server: RunningServer) => server.calsync.teamLeases.teams();

    beforeAll(async () => {
      harness = await CalsyncHarness.start({
        engine: postgres,
        tag: 'instances',
        cluster: { leaseCheckMs: LEASE_CHECK_MS, takeoverMs: 6 * LEASE_CHECK_MS },
      });
      sibling = await harness.startSibling();
    });
    afterAll(() => harness?.close());

    it('spreads the teams: each is worked by exactly one instance', async () => {
      await until(
        'each instance works for one team',
        () => teamsOf(harness.server).length === 1 && teamsOf(sibling).length === 1,
      );
      expect([...teamsOf(harness.server), ...teamsOf(sibling)].sort()).toEqual(
        [acme.teamId, beta.teamId].sort(),
      );
    });

    it('answers a query on one instance with what the other just acknowledged', async () => {
      const first = harness.api(acme);
      const second = new ApiClient(sibling.url, acme.token);
      for (let round = 0; round < 20; round++) {
        const created = await first.post<ServiceView>('/v1/services', serviceBody());
        expect(created.status).toBe(201);
        expect(created.headers.get('calsync-position')).toMatch(/^\d+$/);
        const id = created.body.serviceId;
        // Without a position: the query waits for the store's head as of its arrival.
        expect((await second.service(id)).revision).toBe(created.body.revision);
        const edited = await second.patch<ServiceView>(
          `/v1/services/${id}`,
          { durationMinutes: 31 + round },
          { headers: { 'if-match': `"${created.body.revision}"` } },
        );
        // The other instance decides on the stream as stored, not on a read model a moment behind.
        expect(edited.status).toBe(200);
        const position = edited.headers.get('calsync-position')!;
        const read = await first.get<ServiceView>(`/v1/services/${id}`, {
          headers: { 'calsync-min-position': position },
        });
        expect(read.body).toMatchObject({
          revision: edited.body.revision,
          fields: { durationMinutes: 31 + round },
        });
      }
    });

    it('refuses a position token this store never issued', async () => {
      const api = new ApiClient(sibling.url, acme.token);
      for (const token of ['not-a-position', '999999999999']) {
        const answer = await api.get<{ error: { code: string } }>('/v1/services', {
          headers: { 'calsync-min-position': token },
        });
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe('INVALID_POSITION_TOKEN');
      }
    });

    it('pushes an edit taken by either instance through the instance that works for its team', async () => {
      const [eventType] = acme.eventTypes;
      const viaSibling = new ApiClient(sibling.url, acme.token);
      const service = await viaSibling.register(serviceBody({ calcom: { eventTypeId: eventType!.id } }));
      await viaSibling.edit(service.serviceId, { durationMinutes: 75 });
      await until(
        'Cal.com holds the edit',
        () => harness.simulator.control.getEventType(acme.teamId, eventType!.id)?.lengthInMinutes === 75,
      );
    });

    it('hands the teams of a stopping instance over to the other', async () => {
      await harness.stopSibling(sibling);
      await until(
        'the remaining instance works for both teams',
        () => teamsOf(harness.server).length === 2,
        5_000,
      );
    });
  },
);
