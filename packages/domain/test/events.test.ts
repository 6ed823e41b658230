import { describe, expect, it } from 'vitest';
import {
  actorSchema,
  isServiceEventType,
  parseServiceEvent,
  SCHEMA_VERSION,
  SERVICE_STREAM_PREFIX,
  serviceEventTypes,
  serviceStreamName,
} from '../src/index.js';
import { registered, SERVICE_ID, syncFailed } from './service-facts.js';

describe('the events of a service stream are public API (docs/events.md)', () => {
  it('the event names subscribers can rely on', () => {
    expect(serviceEventTypes).toEqual([
      'ServiceRegistered',
      'ServiceEdited',
      'CalcomLinked',
      'CalcomUnlinked',
      'SyncRequested',
      'SyncSucceeded',
      'SyncFailed',
      'CalcomDiverged',
      'DivergenceResolved',
      'CalcomEventTypeMissing',
      'SyncStatusReset',
    ]);
    expect(isServiceEventType('SyncRequested')).toBe(true);
    expect(isServiceEventType('EVENT_TYPE.UPDATED')).toBe(false);
  });

  it('one stream per service, service-<serviceId>', () => {
    expect(serviceStreamName(SERVICE_ID)).toBe('service-svc-haircut');
    expect(serviceStreamName(SERVICE_ID).startsWith(SERVICE_STREAM_PREFIX)).toBe(true);
  });

  it('a valid event read from the store is accepted as it was written', () => {
    const event = registered();
    expect(parseServiceEvent(event.type, JSON.parse(JSON.stringify(event.data)))._unsafeUnwrap()).toEqual(
      event,
    );
  });

  it('an event written before schema versions existed is read as version 1', () => {
    const { schemaVersion: _version, ...unversioned } = syncFailed('s1', 'transient').data;
    const parsed = parseServiceEvent('SyncFailed', unversioned)._unsafeUnwrap();
    expect(parsed.data.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('an event of a schema version this code does not know is refused, not misread', () => {
    const event = registered();
    const result = parseServiceEvent(event.type, { ...event.data, schemaVersion: 2 });
    expect(result._unsafeUnwrapErr()).toMatchObject({ code: 'EVENT.INVALID', type: 'ServiceRegistered' });
  });

  it('an unknown event type is refused with a stable code', () => {
    expect(parseServiceEvent('EVENT_TYPE.UPDATED', {})._unsafeUnwrapErr()).toEqual({
      code: 'EVENT.INVALID',
      type: 'EVENT_TYPE.UPDATED',
      message: 'Unknown service event type "EVENT_TYPE.UPDATED".',
      issues: [],
    });
  });

  it('a payload that does not match its schema names every bad path', () => {
    const event = registered();
    const bad = { ...event.data, companyId: '', fields: { ...event.data.fields, durationMinutes: 0 } };
    const error = parseServiceEvent(event.type, bad)._unsafeUnwrapErr();
    expect(error.message).toBe('Event ServiceRegistered does not match its schema.');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['companyId', 'fields.durationMinutes']);
  });

  it('a payload that is not an object is refused', () => {
    expect(parseServiceEvent('SyncFailed', 'oops').isErr()).toBe(true);
    expect(parseServiceEvent('SyncFailed', null).isErr()).toBe(true);
  });

  it('an event without a timestamp with offset is refused', () => {
    const event = registered();
    expect(parseServiceEvent(event.type, { ...event.data, at: 'yesterday' }).isErr()).toBe(true);
  });

  it('an edit that records no change is refused: ServiceEdited carries only real changes', () => {
    const result = parseServiceEvent('ServiceEdited', { ...registered().data, changes: [], reason: 'edit' });
    expect(result.isErr()).toBe(true);
  });

  it.each(['admin:alice', 'admin:42', 'calcom:webhook', 'calcom:reconciliation', 'system:sync'])(
    'the actor %s is one of those docs/events.md names',
    (actor) => {
      expect(actorSchema.safeParse(actor).success).toBe(true);
    },
  );

  it.each(['admin:', 'admin:a b', 'calcom:ui', 'system', 'alice'])('the actor %s is refused', (actor) => {
    expect(actorSchema.safeParse(actor).success).toBe(false);
  });
});
