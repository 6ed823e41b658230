import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, toCalcomValues } from '../src/index.js';
import { edit, link, register } from './service-commands.js';
import {
  ADMIN,
  COMPANY_ID,
  EVENT_TYPE_ID,
  haircut,
  haircutWith,
  linked,
  minute,
  registered,
  SERVICE_ID,
  syncedHaircut,
  syncRequested,
  TEAM_ID,
} from './service-facts.js';
import { given } from './service-spec.js';

const meta = (at = minute(1)) => ({
  schemaVersion: SCHEMA_VERSION,
  serviceId: SERVICE_ID,
  companyId: COMPANY_ID,
  actor: ADMIN,
  at,
});

describe('registering a service (docs/events.md, docs/http-contract.md POST /v1/services)', () => {
  it('a new service is registered with its fields and the defaults of the fields left out', () => {
    given()
      .when(register())
      .thenEmits([{ type: 'ServiceRegistered', data: { ...meta(), fields: haircut, origin: 'platform' } }]);
  });

  it('a registration linked to an event type links it and asks Cal.com to hold the platform values', () => {
    given()
      .when(register(undefined, { calcom: { teamId: TEAM_ID, eventTypeId: EVENT_TYPE_ID }, syncId: 's1' }))
      .thenEmits([
        { type: 'ServiceRegistered', data: { ...meta(), fields: haircut, origin: 'platform' } },
        { type: 'CalcomLinked', data: { ...meta(), teamId: TEAM_ID, eventTypeId: EVENT_TYPE_ID } },
        {
          type: 'SyncRequested',
          data: {
            ...meta(),
            syncId: 's1',
            trigger: 'link',
            operation: 'update',
            teamId: TEAM_ID,
            eventTypeId: EVENT_TYPE_ID,
            values: toCalcomValues(haircut),
          },
        },
      ]);
  });

  it('a registration that asks to create the event type requests a create in the team, not yet a link', () => {
    const state = given()
      .when(register(undefined, { calcom: { teamId: TEAM_ID, create: true }, syncId: 's1' }))
      .thenEmits([
        { type: 'ServiceRegistered', data: { ...meta(), fields: haircut, origin: 'platform' } },
        {
          type: 'SyncRequested',
          data: {
            ...meta(),
            syncId: 's1',
            trigger: 'link',
            operation: 'create',
            teamId: TEAM_ID,
            eventTypeId: null,
            values: toCalcomValues(haircut),
          },
        },
      ]);
    expect(state.link).toBeNull();
    expect(state.createIn).toBe(TEAM_ID);
    expect(state.status).toBe('pending');
  });

  it('an import from Cal.com records its origin', () => {
    const [event] = given()
      .when(register(undefined, { origin: 'calcom_import' }))
      .events();
    expect(event?.type === 'ServiceRegistered' && event.data.origin).toBe('calcom_import');
  });

  it('a service that exists cannot be registered again (SERVICE_ALREADY_EXISTS)', () => {
    given(registered()).when(register()).thenFails('SERVICE_ALREADY_EXISTS');
  });

  it.each([
    ['without a name', { slug: 'x', durationMinutes: 30, price: { amount: 0, currency: 'EUR' } }],
    ['with a slug that is not kebab-case', { ...haircut, slug: 'Herren Haarschnitt' }],
    ['with a duration of 0 minutes', { ...haircut, durationMinutes: 0 }],
    ['with a duration over a day', { ...haircut, durationMinutes: 1441 }],
    ['with a negative buffer', { ...haircut, bufferBeforeMinutes: -5 }],
    ['with a price in major units', { ...haircut, price: { amount: 35.5, currency: 'EUR' } }],
    ['with an unknown field', { ...haircut, colour: 'red' }],
  ])('a registration %s is refused with every issue named (VALIDATION_FAILED)', (_, fields) => {
    const error = given().when(register(fields)).thenFails('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ issues: expect.arrayContaining([expect.any(Object)]) });
  });

  it('a price currency is stored in upper case whatever case it was given in', () => {
    const [event] = given()
      .when(register({ ...haircut, price: { amount: 3500, currency: 'eur' } }))
      .events();
    expect(event?.type === 'ServiceRegistered' && event.data.fields.price).toEqual({
      amount: 3500,
      currency: 'EUR',
    });
  });
});

describe('editing a service (docs/events.md, docs/http-contract.md PATCH /v1/services/:id)', () => {
  it('an edit records only the real changes, each with before and after', () => {
    given(registered())
      .when(edit({ name: 'Herrenhaarschnitt kurz', durationMinutes: 30, description: '' }))
      .thenEmits([
        {
          type: 'ServiceEdited',
          data: {
            ...meta(),
            changes: [{ field: 'name', from: 'Herrenhaarschnitt', to: 'Herrenhaarschnitt kurz' }],
            reason: 'edit',
          },
        },
      ]);
  });

  it('an edit that changes nothing appends nothing', () => {
    given(...syncedHaircut())
      .when(edit({ name: 'Herrenhaarschnitt', price: { amount: 3500, currency: 'eur' }, segments: [] }))
      .thenNothing();
  });

  it('an empty edit appends nothing', () => {
    given(registered()).when(edit({})).thenNothing();
  });

  it('an edit of a synced field of a linked service asks Cal.com to hold the new values', () => {
    const edited = haircutWith({ durationMinutes: 45 });
    given(...syncedHaircut())
      .when(edit({ durationMinutes: 45 }, { syncId: 's2' }))
      .thenEmits([
        {
          type: 'ServiceEdited',
          data: { ...meta(), changes: [{ field: 'durationMinutes', from: 30, to: 45 }], reason: 'edit' },
        },
        {
          type: 'SyncRequested',
          data: {
            ...meta(),
            syncId: 's2',
            trigger: 'edit',
            operation: 'update',
            teamId: TEAM_ID,
            eventTypeId: EVENT_TYPE_ID,
            values: toCalcomValues(edited),
          },
        },
      ]);
  });

  it('editing only platform-only fields never requests a sync', () => {
    const events = given(...syncedHaircut())
      .when(
        edit({
          category: 'Herren',
          displayName: 'Haarschnitt',
          isOnline: true,
          priority: 3,
          branchId: 'branch-1',
          minStaffRequired: 2,
          composite: true,
          segments: [{ name: 'Waschen', durationMinutes: 10 }],
          assignment: { staff: ['s1'] },
        }),
      )
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited']);
  });

  it('editing only the price never requests a sync: Cal.com API v2 does not accept a price', () => {
    const events = given(...syncedHaircut())
      .when(edit({ price: { amount: 3900, currency: 'EUR' } }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited']);
  });

  it('an edit of a service that is not linked records the edit and requests nothing', () => {
    const events = given(registered())
      .when(edit({ durationMinutes: 45 }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited']);
  });

  it('an edit while the event type is being created asks for a create with the new values', () => {
    const events = given(registered(), syncRequested('s1', haircut, { operation: 'create', trigger: 'link' }))
      .when(edit({ durationMinutes: 45 }, { syncId: 's2' }))
      .events();
    expect(events[1]).toMatchObject({
      type: 'SyncRequested',
      data: { operation: 'create', eventTypeId: null, values: { lengthInMinutes: 45 } },
    });
  });

  it('deactivating a service asks Cal.com to hide its event type', () => {
    const events = given(...syncedHaircut())
      .when(edit({ isActive: false }))
      .events();
    expect(events[1]).toMatchObject({ type: 'SyncRequested', data: { values: { hidden: true } } });
  });

  it('If-Match with the current revision is accepted', () => {
    const events = given(...syncedHaircut())
      .when(edit({ name: 'Kurzhaarschnitt' }, { expectedRevision: 4 }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['ServiceEdited', 'SyncRequested']);
  });

  it('If-Match with a stale revision is refused and names the current one (REVISION_CONFLICT)', () => {
    const error = given(...syncedHaircut())
      .when(edit({ name: 'Kurzhaarschnitt' }, { expectedRevision: 3 }))
      .thenFails('REVISION_CONFLICT');
    expect(error.details).toEqual({ expectedRevision: 3, actualRevision: 4 });
  });

  it('an edit of a service that does not exist is refused (SERVICE_NOT_FOUND)', () => {
    given()
      .when(edit({ name: 'x' }))
      .thenFails('SERVICE_NOT_FOUND');
  });

  it('an edit with an invalid or unknown field is refused (VALIDATION_FAILED)', () => {
    given(registered())
      .when(edit({ durationMinutes: -1 }))
      .thenFails('VALIDATION_FAILED');
    given(registered())
      .when(edit({ length: 30 }))
      .thenFails('VALIDATION_FAILED');
    given(registered()).when(edit('not an object')).thenFails('VALIDATION_FAILED');
  });

  it('a name is stored trimmed, so an edit that only adds spaces changes nothing', () => {
    given(registered())
      .when(edit({ name: '  Herrenhaarschnitt ' }))
      .thenNothing();
  });
});

describe('linking and unlinking (docs/events.md CalcomLinked / CalcomUnlinked)', () => {
  it('linking a registered service asks Cal.com to hold the platform values', () => {
    const events = given(registered())
      .when(link(EVENT_TYPE_ID, { syncId: 's1' }))
      .events();
    expect(events.map((event) => event.type)).toEqual(['CalcomLinked', 'SyncRequested']);
    expect(events[1]).toMatchObject({
      data: { trigger: 'link', syncId: 's1', values: toCalcomValues(haircut) },
    });
  });

  it('linking again to the same event type appends nothing', () => {
    given(registered(), linked()).when(link()).thenNothing();
  });

  it('linking to another event type forgets what the old one held', () => {
    const state = given(...syncedHaircut())
      .when(link(2002))
      .state();
    expect(state.link).toEqual({ teamId: TEAM_ID, eventTypeId: 2002 });
    expect(state.lastPushed).toBeNull();
    expect(state.status).toBe('pending');
  });

  it('a service that does not exist cannot be linked (SERVICE_NOT_FOUND)', () => {
    given().when(link()).thenFails('SERVICE_NOT_FOUND');
  });
});
