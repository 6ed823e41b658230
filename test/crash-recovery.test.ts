import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CalcomSimulator, startCalcomSimulator } from '@calsync/calcom-simulator';
import { type ServiceView, toCalcomValues } from '@calsync/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterProcess } from './support/cluster-process.js';
import { seededRandom } from './support/cluster-world.js';

/**
 * docs/sync.md "no request is lost": the server is SIGKILLed at random moments while a driver keeps
 * editing many services over HTTP; after each kill it restarts on the same embedded store. At
 * the end every service is synced and Cal.com holds exactly the platform's values.
 */

const TEAM_ID = 42;
const API_KEY = 'cal_test_crash';
const TOKEN = 'crash-test-token';
const SERVICES = 16;
const KILLS = 20;
const MIN_EDITS = 300;
const EDITORS = 4;
const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);

class Platform {
  constructor(readonly url: string) {}
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json().catch(() => null) };
  }
}

describe('crash recovery of the outbound sync', () => {
  let simulator: CalcomSimulator;
  let dir: string;
  let server: ClusterProcess;

  beforeAll(async () => {
    simulator = await startCalcomSimulator({
      keys: [{ apiKey: API_KEY, teamIds: [TEAM_ID] }],
      teams: [{ id: TEAM_ID, name: 'Crash Salon' }],
      rateLimit: { limit: 1_000_000, windowMs: 60_000, blockMs: 60_000 },
    });
    dir = mkdtempSync(join(tmpdir(), 'calsync-crash-'));
    const config = {
      companies: [
        {
          id: 'acme',
          apiTokenSha256: [createHash('sha256').update(TOKEN).digest('hex')],
          calcom: { apiUrl: simulator.url, teamId: TEAM_ID, apiKey: API_KEY, webhookSecret: 'crash-secret' },
        },
      ],
      sync: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 200, rateLimitPerMinute: 1_000_000 },
      reconciliation: { intervalMinutes: 0 },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    server = new ClusterProcess('crash', {
      CALSYNC_CONFIG: join(dir, 'config.json'),
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    await server?.kill();
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`every service ends synced with Cal.com holding the platform's values after ${KILLS} SIGKILLs (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    let platform = new Platform(await server.start());
    const ids: string[] = [];
    for (let i = 0; i < SERVICES; i++) {
      const slug = `service-${i}`;
      const eventTypeId = simulator.control.uiCreateEventType(TEAM_ID, { title: slug, slug }).id;
      const created = await platform.call('POST', '/v1/services', {
        name: `Service ${i}`,
        slug,
        durationMinutes: 30,
        price: { amount: 1000 + i, currency: 'EUR' },
        calcom: { eventTypeId },
      });
      expect(created.status).toBe(201);
      ids.push((created.json as ServiceView).serviceId);
    }

    // Per service and field: the last acknowledged value, unless a later edit was cut off.
    const lastAcknowledged = new Map<string, Record<string, unknown>>(ids.map((id) => [id, {}]));
    let kills = 0;
    let acknowledged = 0;
    let unanswered = 0;
    while (kills < KILLS || acknowledged < MIN_EDITS) {
      let alive = true;
      // A random moment: after a random number of edits of this incarnation, plus a random delay,
      // so that kills land during appends, pushes and outcome recording alike.
      const target = 5 + Math.floor(random() * 25);
      let edits = 0;
      let reached: () => void = () => {};
      const enoughEdits = new Promise<void>((resolve) => {
        reached = resolve;
      });
      // Each editor owns a disjoint set of services, so one service's edits stay in order.
      const editor = async (lane: number) => {
        const mine = ids.filter((_, index) => index % EDITORS === lane);
        while (alive) {
          const id = mine[Math.floor(random() * mine.length)]!;
          const patch =
            random() < 0.3
              ? { name: `Service ${id.slice(0, 6)} v${Math.floor(random() * 1000)}` }
              : { durationMinutes: 5 + Math.floor(random() * 235) };
          try {
            const answer = await platform.call('PATCH', `/v1/services/${id}`, patch);
            if (answer.status === 200) {
              Object.assign(lastAcknowledged.get(id)!, patch);
              acknowledged++;
              if (++edits >= target) reached();
            } else if (answer.status === 429) await new Promise((resolve) => setTimeout(resolve, 50));
            else throw new Error(`edit answered ${answer.status}: ${JSON.stringify(answer.json)}`);
          } catch (error) {
            if (alive && server.running) throw error;
            unanswered++; // killed mid-request: this edit may or may not have been stored
            for (const field of Object.keys(patch)) delete lastAcknowledged.get(id)![field];
          }
        }
      };
      const editing = Promise.all([...Array(EDITORS).keys()].map(editor));
      await Promise.race([enoughEdits, editing]);
      await new Promise((resolve) => setTimeout(resolve, random() * 150));
      alive = false;
      await server.kill('SIGKILL');
      kills++;
      await editing;
      const restarting = Date.now();
      platform = new Platform(await server.start());
      if (process.env.CRASH_VERBOSE) {
        console.info(
          `kill ${kills}: ${acknowledged} edits acknowledged; restarted in ${Date.now() - restarting} ms`,
        );
      }
    }

    // The last incarnation runs undisturbed: wait until it reports every service synced.
    let views: ServiceView[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = await platform.call('GET', '/v1/services');
      views = (listed.json as { items: ServiceView[] }).items;
      if (views.length === SERVICES && views.every((view) => view.sync.status === 'synced')) break;
      if (Date.now() > deadline) {
        const stuck = views.filter((view) => view.sync.status !== 'synced').map((view) => view.sync);
        throw new Error(
          `services not synced after 60 s: ${JSON.stringify(stuck)}\n${server.tail.join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    for (const view of views) {
      const held = simulator.control.getEventType(TEAM_ID, view.calcom!.eventTypeId!);
      const expected = toCalcomValues(view.fields);
      expect(held, view.serviceId).toMatchObject({ ...expected, confirmationPolicy: { disabled: true } });
      expect(view.bookable).toBe(true);
      expect(view.fields, 'an acknowledged edit was lost').toMatchObject(
        lastAcknowledged.get(view.serviceId)!,
      );
    }
    const requests = simulator.control.requests();
    expect(requests.filter((request) => request.status === 429)).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(acknowledged).toBeGreaterThanOrEqual(MIN_EDITS);
    console.info(
      `crash test (seed ${seed}): ${kills} kills, ${acknowledged} acknowledged edits, ${unanswered} cut off, ` +
        `${requests.filter((request) => request.method === 'PATCH').length} PATCHes`,
    );

    // And a graceful stop drains and exits cleanly.
    expect(await server.kill('SIGTERM')).toBe(0);
  }, 300_000);
});
