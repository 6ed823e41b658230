import { toCalcomValues } from '@calsync/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncHarness, serviceFields, TEAM_ID } from './support/sync-harness.js';

/**
 * The outbound sync against the Cal.com simulator (docs/sync.md): every outcome Cal.com can give, and
 * the status each one leaves the service in (docs/status.md).
 */
describe('outbound sync: what Cal.com answers and what the status says', () => {
  let harness: SyncHarness | undefined;
  afterEach(async () => {
    await harness?.stop({ all: true, drainMs: 0 });
    harness = undefined;
  });

  it('an edit reaches Cal.com, and the service is synced and bookable', async () => {
    harness = await SyncHarness.start();
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await harness.manager.idle();
    expect(harness.view('haircut').sync.status).toBe('synced');

    await harness.edit('haircut', { name: 'Herrenhaarschnitt kurz', durationMinutes: 45 });
    expect(harness.view('haircut').sync.status).toBe('pending');
    await harness.manager.idle();

    const state = harness.readModel.get('haircut');
    expect(harness.calcomValues(eventTypeId)).toEqual(toCalcomValues(state!.fields!));
    expect(harness.calcomValues(eventTypeId)).toMatchObject({
      title: 'Herrenhaarschnitt kurz',
      lengthInMinutes: 45,
    });
    const view = harness.view('haircut');
    expect(view.sync).toMatchObject({ status: 'synced', lastError: null, attempts: 1, nextRetryAt: null });
    expect(view.sync.lastSuccessAt).not.toBeNull();
    expect(view.bookable).toBe(true);
    expect(view.notBookableReasons).toEqual([]);
  });

  it('a burst of 429s is retried with backoff, counted, and ends synced', async () => {
    harness = await SyncHarness.start({ manualTime: true });
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await harness.manager.idle();
    const firstSuccess = harness.view('haircut').sync.lastSuccessAt;

    // Cal.com's own 429: no Retry-After, a reset in seconds (0: the block is already over).
    harness.simulator.control.injectFault({
      method: 'PATCH',
      kind: 'status',
      status: 429,
      headers: {
        'X-RateLimit-Limit-Default': '120',
        'X-RateLimit-Remaining-Default': '0',
        'X-RateLimit-Reset-Default': '0',
      },
      times: 3,
    });
    harness.time!.advance(10_000);
    await harness.edit('haircut', { name: 'Herrenhaarschnitt lang' });
    await harness.manager.idle();

    for (const attempt of [1, 2, 3]) {
      const failing = harness.view('haircut');
      expect(failing.sync.status).toBe('pending');
      expect(failing.sync.attempts).toBe(attempt);
      expect(failing.sync.lastError).toMatchObject({ kind: 'rate_limited', httpStatus: 429 });
      expect(failing.sync.lastAttemptAt).not.toBe(failing.sync.lastSuccessAt);
      expect(failing.sync.lastSuccessAt).toBe(firstSuccess);
      expect(failing.bookable).toBe(false);
      // Exponential: base 1000 ms doubled per attempt, on the upper half with jitter 0.5.
      const delay = Date.parse(failing.sync.nextRetryAt!) - Date.parse(failing.sync.lastAttemptAt!);
      expect(delay).toBe(750 * 2 ** (attempt - 1));
      expect(harness.patchesOf(eventTypeId)).toHaveLength(1 + attempt);
      harness.time!.advance(delay - 1);
      await harness.manager.idle();
      expect(harness.patchesOf(eventTypeId)).toHaveLength(1 + attempt);
      harness.time!.advance(1);
      await harness.manager.idle();
    }

    const view = harness.view('haircut');
    expect(view.sync).toMatchObject({ status: 'synced', attempts: 4, lastError: null, nextRetryAt: null });
    expect(view.sync.lastSuccessAt).toBe(view.sync.lastAttemptAt);
    expect(harness.calcomValues(eventTypeId).title).toBe('Herrenhaarschnitt lang');
  });

  it('gives up after the configured number of attempts with a final error', async () => {
    harness = await SyncHarness.start({ manualTime: true, policy: { maxAttempts: 2 } });
    await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await harness.manager.idle();
    harness.simulator.control.injectFault({ method: 'PATCH', kind: 'status', status: 503 });
    await harness.edit('haircut', { durationMinutes: 40 });
    await harness.manager.idle();
    expect(harness.view('haircut').sync).toMatchObject({ status: 'pending', attempts: 1 });
    harness.time!.advance(60_000);
    await harness.manager.idle();

    const view = harness.view('haircut');
    expect(view.sync).toMatchObject({ status: 'error', attempts: 2, nextRetryAt: null });
    expect(view.sync.lastError).toMatchObject({ kind: 'transient', httpStatus: 503 });
    expect(view.sync.lastError?.message).toContain('gave up after 2 attempts');
    expect(harness.time!.pending()).toBe(0);
  });

  it("a 400 is final at once with Cal.com's message; a reset after the fix pushes again", async () => {
    harness = await SyncHarness.start();
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    const other = harness.eventTypeInCalcom('damenhaarschnitt');
    await harness.manager.idle();

    await harness.edit('haircut', { slug: 'damenhaarschnitt' });
    await harness.manager.idle();
    let view = harness.view('haircut');
    expect(view.sync.status).toBe('error');
    expect(view.sync.lastError).toEqual({
      kind: 'rejected',
      httpStatus: 400,
      message: `Team with id=${TEAM_ID} already has an event type with slug damenhaarschnitt.`,
    });
    expect(view.sync.nextRetryAt).toBeNull();
    expect(view.nextAction?.code).toBe('RESET_SYNC_STATUS');
    expect(harness.patchesOf(eventTypeId)).toHaveLength(2); // the link's push and the rejected one

    harness.simulator.control.uiEditEventType(TEAM_ID, other, { slug: 'damenhaarschnitt-alt' });
    await harness.reset('haircut');
    await harness.manager.idle();
    view = harness.view('haircut');
    expect(view.sync).toMatchObject({ status: 'synced', lastError: null });
    expect(harness.calcomValues(eventTypeId).slug).toBe('damenhaarschnitt');
  });

  it('a 401 pauses the whole team with one status until an admin resumes it', async () => {
    harness = await SyncHarness.start();
    const first = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    const second = await harness.registerLinked('colour', serviceFields('Farbe'));
    await harness.manager.idle();

    harness.simulator.control.injectFault({
      method: 'PATCH',
      kind: 'status',
      status: 401,
      body: {
        status: 'error',
        timestamp: new Date().toISOString(),
        path: '/v2',
        error: { code: 'UnauthorizedException', message: 'CustomThrottlerGuard - Invalid API Key' },
      },
    });
    await harness.edit('haircut', { durationMinutes: 40 });
    await harness.edit('colour', { durationMinutes: 50 });
    await harness.manager.idle();

    const failures = [
      ...(await harness.eventTypesOf('haircut')),
      ...(await harness.eventTypesOf('colour')),
    ].filter((type) => type === 'SyncFailed');
    expect(failures).toHaveLength(1);
    const team = (await harness.store.readStream(`team-${TEAM_ID}`))._unsafeUnwrap();
    expect(team.map((event) => event.type)).toEqual(['TeamSyncPaused']);
    expect(harness.teamContext(TEAM_ID).paused?.message).toBe('CustomThrottlerGuard - Invalid API Key');
    const views = [harness.view('haircut'), harness.view('colour')];
    const errored = views.filter((view) => view.sync.status === 'error');
    const waiting = views.filter((view) => view.sync.status === 'pending');
    expect(errored).toHaveLength(1);
    expect(waiting).toHaveLength(1);
    for (const view of views) {
      expect(view.notBookableReasons.map((reason) => reason.code)).toContain('TEAM_SYNC_PAUSED');
      expect(view.nextAction?.code).toBe('FIX_CALCOM_CREDENTIALS');
    }
    expect(waiting[0]!.sync.message).toContain('paused');
    const calls = harness.patchesOf(first).length + harness.patchesOf(second).length;

    // Nothing more is sent while the team is paused.
    await harness.execute({
      ...harness.meta('colour'),
      type: 'EditService',
      patch: { durationMinutes: 55 },
      syncId: 'more',
    });
    await harness.manager.idle();
    expect(harness.patchesOf(first).length + harness.patchesOf(second).length).toBe(calls);

    harness.simulator.control.clearFaults();
    expect((await harness.resumeTeam(TEAM_ID, 'admin:alice'))._unsafeUnwrap()).toBe(true);
    await harness.reset(errored[0]!.serviceId);
    await harness.manager.idle();
    expect(harness.teamContext(TEAM_ID).paused).toBeNull();
    expect(harness.view('haircut').sync.status).toBe('synced');
    expect(harness.view('colour').sync.status).toBe('synced');
    expect(harness.calcomValues(first).lengthInMinutes).toBe(40);
    expect(harness.calcomValues(second).lengthInMinutes).toBe(55);
  });

  it('a 404 marks the event type missing (orphaned) and leaves isActive alone', async () => {
    harness = await SyncHarness.start();
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await harness.manager.idle();

    harness.simulator.control.uiDeleteEventType(TEAM_ID, eventTypeId);
    await harness.edit('haircut', { description: 'Waschen, schneiden, föhnen' });
    await harness.manager.idle();

    const view = harness.view('haircut');
    expect(view.sync.status).toBe('orphaned');
    expect(view.sync.lastError).toMatchObject({ kind: 'not_found', httpStatus: 404 });
    expect(view.fields.isActive).toBe(true);
    expect(view.nextAction?.code).toBe('RELINK_OR_RESET');
    expect((await harness.eventTypesOf('haircut')).slice(-2)).toEqual([
      'SyncFailed',
      'CalcomEventTypeMissing',
    ]);
    expect(harness.patchesOf(eventTypeId)).toHaveLength(2);
  });

  it('fields Cal.com did not take are reported by name, with both values', async () => {
    harness = await SyncHarness.start();
    const eventTypeId = await harness.registerLinked('haircut', serviceFields('Herrenhaarschnitt'));
    await harness.manager.idle();

    const held = harness.simulator.control.getEventType(TEAM_ID, eventTypeId)!;
    // Cal.com answers 200 but keeps its old length (as v2 does with `length`).
    harness.simulator.control.injectFault({
      method: 'PATCH',
      kind: 'status',
      status: 200,
      body: { status: 'success', data: { ...held, title: 'Herrenhaarschnitt', lengthInMinutes: 30 } },
      times: 1,
    });
    await harness.edit('haircut', { durationMinutes: 45 });
    await harness.manager.idle();

    const view = harness.view('haircut');
    expect(view.sync.status).toBe('error');
    expect(view.sync.lastError).toEqual({
      kind: 'rejected',
      httpStatus: 200,
      message: 'Cal.com accepted the update but did not take lengthInMinutes (sent 45, Cal.com holds 30).',
    });
  });

  it('a service that asked for a new event type gets one and is linked to it', async () => {
    harness = await SyncHarness.start();
    await harness.execute({
      ...harness.meta('beard'),
      type: 'RegisterService',
      fields: serviceFields('Bartpflege', { durationMinutes: 20 }),
      calcom: { teamId: TEAM_ID, create: true },
      syncId: 'create-beard',
    });
    await harness.manager.idle();

    const view = harness.view('beard');
    expect(view.sync.status).toBe('synced');
    const eventTypeId = view.calcom?.eventTypeId;
    expect(eventTypeId).toEqual(expect.any(Number));
    expect(harness.calcomValues(eventTypeId!)).toMatchObject({
      title: 'Bartpflege',
      slug: 'bartpflege',
      lengthInMinutes: 20,
    });
    expect(
      harness.simulator.control.listEventTypes(TEAM_ID).filter((e) => e.slug === 'bartpflege'),
    ).toHaveLength(1);
  });

  it('a team without Cal.com credentials is a final error that says so', async () => {
    harness = await SyncHarness.start();
    await harness.execute({
      ...harness.meta('nails'),
      type: 'RegisterService',
      fields: serviceFields('Maniküre'),
      calcom: { teamId: 7, eventTypeId: 1 },
      syncId: 'nails-link',
    });
    await harness.manager.idle();
    const view = harness.view('nails');
    expect(view.sync.status).toBe('error');
    expect(view.sync.lastError?.message).toContain('No Cal.com API key is configured for team 7');
  });
});
