import type { ServiceState } from '@calsync/domain';
import { type CliIo, parseCliArguments, reconcileCommand } from '@calsync/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACME, GLOBEX, INITECH, ReconciliationWorld } from './support/reconciliation-fixture.js';

/** The CLI against an in-process server over real HTTP, with output captured. */
function cliIo(world: ReconciliationWorld) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    fetch: globalThis.fetch,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text), isTTY: false },
    // Between two looks at a running run, wait until it has ended instead of for a time.
    sleep: () => world.reconciler.idle(),
    now: () => Date.now(),
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function cli(world: ReconciliationWorld, url: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseCliArguments(['reconcile', ...args], { CALSYNC_URL: url, ...env });
  if (parsed.isErr() || parsed.value.command !== 'reconcile')
    throw new Error(`bad arguments: ${args.join(' ')}`);
  const { io, stdout, stderr } = cliIo(world);
  const code = await reconcileCommand(parsed.value, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('calsync reconcile (CLI) and the reconciliation routes', () => {
  let world: ReconciliationWorld;
  let url: string;
  let services: ServiceState[];

  beforeEach(async () => {
    world = await ReconciliationWorld.start();
    services = await world.linkedServices(3);
    url = await world.listen();
  });
  afterEach(() => world.close());

  const acme = ['--company', ACME.id, '--token', ACME.token];

  it('exits 0 when nothing needs attention, showing progress on stderr and the counts on stdout', async () => {
    const run = await cli(world, url, [...acme, '--check']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/reconcile acme \(check\) run .+: started\n/);
    expect(run.stderr).toMatch(/: completed\n$/);
    expect(run.stdout).toContain('linked 3 · listed 3 · confirmed 3 · diverged 0');
    expect(run.stdout).toContain('Nothing needs attention');
  });

  it('exits 1 with a table of findings: each diverged field with both values, candidates', async () => {
    const eventTypeId = services[0]?.link?.eventTypeId ?? 0;
    world.simulator.control.uiEditEventType(ACME.teamId, eventTypeId, {
      title: 'Edited',
      lengthInMinutes: 45,
      price: 4000,
    });
    world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Bartpflege',
      slug: 'bartpflege',
      price: 1500,
      currency: 'eur',
    });

    const check = await cli(world, url, [...acme, '--check']);
    expect(check.code).toBe(1);
    const lines = check.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}FINDING +SERVICE +EVENT TYPE +DETAIL$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^ {2}diverged +acme-svc-1 +${eventTypeId} +name: platform "Service 1", Cal.com "Edited"; durationMinutes: platform 30, Cal.com 45; price: platform EUR 35.00, Cal.com EUR 40.00$`,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}candidate +- +\d+ +"Bartpflege" \/bartpflege, 30 min, EUR 15\.00$/),
    );
    expect(check.stdout).toContain('check: nothing was recorded');
    const before = (await world.serviceEvents()).length;

    const apply = await cli(world, url, [...acme, '--apply']);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('apply: 1 service event(s) recorded.');
    expect((await world.serviceEvents()).length).toBe(before + 1);
    expect(world.view('acme-svc-1').sync.status).toBe('diverged');
  });

  it('exits 2 with the reason when the run is aborted', async () => {
    world.listingAnswers(ACME.teamId, 200, { status: 'success', data: [] });
    const run = await cli(world, url, [...acme, '--apply']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('aborted: LISTING_EMPTY');
    expect(run.stdout).toContain('3 service(s) are linked');
  });

  it('prints the run as JSON with --json', async () => {
    const run = await cli(world, url, [...acme, '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ companyId: ACME.id, mode: 'check', state: 'completed' });
  });

  it('exits 3 on a refused token, another company’s token, no server, and bad arguments', async () => {
    const refused = await cli(world, url, ['--company', ACME.id, '--token', 'wrong']);
    expect(refused).toMatchObject({ code: 3, stdout: '' });
    expect(refused.stderr).toContain('401 UNAUTHORIZED');

    const foreign = await cli(world, url, ['--company', ACME.id], { CALSYNC_TOKEN: GLOBEX.token });
    expect(foreign.code).toBe(3);
    expect(foreign.stderr).toContain('the token belongs to company "globex", not "acme"');

    const unconfigured = await cli(world, url, ['--company', INITECH.id, '--token', INITECH.token]);
    expect(unconfigured.code).toBe(3);
    expect(unconfigured.stderr).toContain('409 CALCOM_NOT_CONFIGURED');

    const nowhere = await cli(world, 'http://127.0.0.1:9', [...acme]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toContain('cannot reach calsync at http://127.0.0.1:9');

    expect(parseCliArguments(['reconcile', '--check', '--apply', ...acme], {})._unsafeUnwrapErr()).toContain(
      'one of',
    );
    expect(parseCliArguments(['reconcile', '--token', 't'], {})._unsafeUnwrapErr()).toContain('--company');
    expect(parseCliArguments(['reconcile', '--company', 'acme'], {})._unsafeUnwrapErr()).toContain(
      'CALSYNC_TOKEN',
    );
    expect(parseCliArguments(['sync'], {})._unsafeUnwrapErr()).toContain('unknown command');
    expect(parseCliArguments([], {})._unsafeUnwrap()).toEqual({ command: 'help' });
  });

  it('serves runs and import candidates over HTTP, scoped to the token’s company', async () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const started = await fetch(`${url}/v1/reconciliations`, {
      method: 'POST',
      headers: as(ACME.token),
      body: JSON.stringify({ mode: 'apply' }),
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    expect(started.headers.get('location')).toBe(`/v1/reconciliations/${runId}`);
    await world.reconciler.idle();
    const own = await fetch(`${url}/v1/reconciliations/${runId}`, { headers: as(ACME.token) });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({
      runId,
      state: 'completed',
      counts: { linked: 3, confirmed: 3 },
    });
    const other = await fetch(`${url}/v1/reconciliations/${runId}`, { headers: as(GLOBEX.token) });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'RUN_NOT_FOUND' } });

    const badMode = await fetch(`${url}/v1/reconciliations`, {
      method: 'POST',
      headers: as(ACME.token),
      body: JSON.stringify({ mode: 'force' }),
    });
    expect(badMode.status).toBe(400);

    const id = world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Bartpflege',
      slug: 'bartpflege',
    }).id;
    const candidates = await fetch(`${url}/v1/import-candidates`, { headers: as(ACME.token) });
    expect(await candidates.json()).toMatchObject({ items: [{ eventTypeId: id, title: 'Bartpflege' }] });
    const globexCandidates = await fetch(`${url}/v1/import-candidates`, { headers: as(GLOBEX.token) });
    expect(await globexCandidates.json()).toEqual({ items: [] });

    const stolen = await fetch(`${url}/v1/import-candidates/${id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GLOBEX.token}` },
    });
    expect(stolen.status).toBe(404);
    const imported = await fetch(`${url}/v1/import-candidates/${id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME.token}` },
    });
    expect(imported.status).toBe(201);
    const view = (await imported.json()) as {
      serviceId: string;
      companyId: string;
      calcom: unknown;
      fields: { name: string };
    };
    expect(view).toMatchObject({
      companyId: ACME.id,
      calcom: { eventTypeId: id, teamId: ACME.teamId },
      fields: { name: 'Bartpflege' },
    });
    const again = await fetch(`${url}/v1/import-candidates/${id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME.token}` },
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'ALREADY_IMPORTED' } });

    const clash = world.simulator.control.uiCreateEventType(ACME.teamId, {
      title: 'Clash',
      slug: 'acme-service-2',
    }).id;
    const conflict = await fetch(`${url}/v1/import-candidates/${clash}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME.token}` },
    });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: 'SLUG_CONFLICT' } });
  });
});
