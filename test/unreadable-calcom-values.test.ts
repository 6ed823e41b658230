import { randomUUID } from 'node:crypto';
import type { ServiceState, ServiceView } from '@calsync/domain';
import { createLogger, Reconciler, type ServiceCommandBus } from '@calsync/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from './support/api-client.js';
import { CalsyncHarness } from './support/calsync-harness.js';
import { ACME, ADMIN, ReconciliationWorld } from './support/reconciliation-fixture.js';
import { serviceBody } from './support/service-bodies.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme } from './support/tenants.js';

// Titles a person can type into Cal.com that no store can hold as they are (docs/limits.md).
const withNul = 'Kurs\u0000Abend';
const withLoneSurrogate = 'Kurs \ud800 Morgen';
const shownNul = 'Kurs\uFFFDAbend';
const shownLoneSurrogate = 'Kurs \uFFFD Morgen';

interface RunView {
  runId: string;
  state: string;
  findings?: Array<{ kind: string; serviceId?: string; fields?: Array<{ field: string; calcom: unknown }> }>;
}

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(
    `text Cal.com holds that no store can hold is kept readable ${engineTitle(engine)}`,
    () => {
      let harness: CalsyncHarness;

      beforeAll(async () => {
        harness = await CalsyncHarness.start({ engine, tag: 'unreadable' });
      });
      afterAll(async () => {
        await harness?.close();
      });

      async function linkedService(): Promise<{ service: ServiceView; eventTypeId: number }> {
        const eventType = harness.createEventType(acme, { title: 'Herrenhaarschnitt', lengthInMinutes: 30 });
        const service = await harness
          .api(acme)
          .register(serviceBody({ name: 'Herrenhaarschnitt', calcom: { eventTypeId: eventType.id } }));
        await harness.syncSettled();
        return { service: await harness.api(acme).service(service.serviceId), eventTypeId: eventType.id };
      }

      async function expectReady(): Promise<void> {
        const ready = await harness.anonymous().get<{ ready: boolean }>('/health/ready');
        expect(ready.status).toBe(200);
      }

      it.each([
        ['a NUL', withNul, shownNul],
        ['a lone surrogate', withLoneSurrogate, shownLoneSurrogate],
      ])(
        'a relayed title with %s is a divergence showing U+FFFD in its place, not a 503',
        async (_what, typed, shown) => {
          const { service, eventTypeId } = await linkedService();

          const delivery = await harness.relayCalcomEdit(acme, eventTypeId, { title: typed });

          expect(delivery.status).toBe(200);
          expect(JSON.parse(delivery.body)).toMatchObject({
            outcome: 'diverged',
            serviceId: service.serviceId,
          });
          const view = await harness.api(acme).service(service.serviceId);
          expect(view.sync.status).toBe('diverged');
          expect(view.divergence?.fields).toContainEqual({
            field: 'name',
            platform: 'Herrenhaarschnitt',
            calcom: shown,
          });
          expect(view.fields.name).toBe('Herrenhaarschnitt');
          // A relay retrying the same delivery is answered the same way, never with a 5xx.
          const again = await harness.relayCalcomEdit(acme, eventTypeId, { title: typed });
          expect(again.status).toBe(200);
          await expectReady();
        },
      );

      it('a reconciliation run completes and records the divergence of a title edited only in Cal.com', async () => {
        const api = harness.api(acme);
        const first = await linkedService();
        const second = await linkedService();
        harness.simulator.control.uiEditEventType(acme.teamId, first.eventTypeId, { title: withNul });
        harness.simulator.control.uiEditEventType(acme.teamId, second.eventTypeId, {
          title: withLoneSurrogate,
        });

        const started = expectStatus(
          await api.post<{ runId: string }>('/v1/reconciliations', { mode: 'apply' }),
          202,
        );
        let run: RunView | undefined;
        for (let poll = 0; poll < 200; poll++) {
          run = expectStatus(await api.get<RunView>(`/v1/reconciliations/${started.runId}`), 200);
          if (run.state !== 'running') break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }

        expect(run?.state).toBe('completed');
        for (const [linked, shown] of [
          [first, shownNul],
          [second, shownLoneSurrogate],
        ] as const) {
          const finding = run?.findings?.find((f) => f.serviceId === linked.service.serviceId);
          expect(finding).toMatchObject({ kind: 'diverged' });
          expect(finding?.fields).toContainEqual(expect.objectContaining({ field: 'name', calcom: shown }));
          const view = await api.service(linked.service.serviceId);
          expect(view.sync.status).toBe('diverged');
          expect(view.divergence?.fields).toContainEqual(
            expect.objectContaining({ field: 'name', calcom: shown }),
          );
        }
        await expectReady();
      });

      it('an event type whose title holds a NUL is an import candidate and imports as a readable service', async () => {
        const api = harness.api(acme);
        const eventType = harness.createEventType(acme, { title: withNul, slug: `nul-${Date.now()}` });
        const surrogate = harness.createEventType(acme, {
          title: withLoneSurrogate,
          slug: `lone-${Date.now()}`,
        });

        const listed = expectStatus(
          await api.get<{ items: Array<{ eventTypeId: number; title: string }> }>('/v1/import-candidates'),
          200,
        );
        expect(listed.items).toContainEqual(
          expect.objectContaining({ eventTypeId: eventType.id, title: shownNul }),
        );
        expect(listed.items).toContainEqual(
          expect.objectContaining({ eventTypeId: surrogate.id, title: shownLoneSurrogate }),
        );

        const imported = expectStatus(
          await api.post<ServiceView>(`/v1/import-candidates/${eventType.id}/import`),
          201,
        );
        expect(imported.fields.name).toBe(shownNul);
        expect((await api.service(imported.serviceId)).fields.name).toBe(shownNul);
        await expectReady();
      });
    },
  );
}

describe('one service that fails to be processed does not cost a reconciliation run the others', () => {
  let world: ReconciliationWorld;
  afterEach(() => world.close());

  it('a command that fails on one service is skipped; the run completes and every other divergence is recorded', async () => {
    world = await ReconciliationWorld.start();
    const [failing, healthy] = (await world.linkedServices(2)) as [ServiceState, ServiceState];
    for (const service of [failing, healthy])
      world.simulator.control.uiEditEventType(ACME.teamId, service.link?.eventTypeId ?? 0, {
        title: withNul,
      });
    // The real command bus, except that processing the first service fails as a bug would.
    const commands = {
      execute: async (...args: Parameters<ServiceCommandBus['execute']>) => {
        if (args[0].serviceId === failing.serviceId) throw new Error('unexpected value on this service');
        return world.commands.execute(...args);
      },
    } as unknown as ServiceCommandBus;
    const reconciler = new Reconciler({
      store: world.store,
      readModel: world.readModel,
      commands,
      directory: world.directory,
      settings: { intervalMinutes: 0, missesBeforeOrphan: 3, maxMissingShare: 0.5 },
      clock: () => new Date(),
      newId: randomUUID,
      logger: createLogger('silent'),
    });

    const started = (await reconciler.run(ACME.id, 'apply', ADMIN))._unsafeUnwrap();
    const run = await reconciler.waitForRun(started.runId);

    expect(run?.state).toBe('completed');
    const diverged = run?.findings?.filter((finding) => finding.kind === 'diverged') ?? [];
    expect(diverged.map((finding) => 'serviceId' in finding && finding.serviceId).sort()).toEqual(
      [failing.serviceId, healthy.serviceId].sort(),
    );
    expect(world.service(healthy.serviceId).divergence?.fields).toContainEqual(
      expect.objectContaining({ field: 'name', calcom: shownNul }),
    );
    expect(world.service(failing.serviceId).divergence).toBeNull();
  });
});
