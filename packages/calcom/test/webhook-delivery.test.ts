import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyWebhookDelivery, parseWebhookDelivery } from '../src/index.js';

const teamEventType = (
  JSON.parse(readFileSync(new URL('./fixtures/team-event-types-list.json', import.meta.url), 'utf8')) as {
    data: Record<string, unknown>[];
  }
).data[1];

const delivery = (triggerEvent: string, payload: unknown) =>
  JSON.stringify({ triggerEvent, createdAt: '2025-11-20T09:00:00.000Z', payload });

describe('classifying webhook deliveries', () => {
  it.each(['EVENT_TYPE_UPDATED', 'EVENT_TYPE.UPDATED'])(
    'reads a relayed %s whose payload is the event type',
    (trigger) => {
      const parsed = parseWebhookDelivery(
        delivery(trigger, { ...teamEventType, price: 4500, currency: 'eur' }),
      );
      const result = parsed._unsafeUnwrap();
      expect(result.kind).toBe('eventTypeUpdated');
      if (result.kind === 'eventTypeUpdated') {
        expect(result.eventType).toMatchObject({ id: 2002, price: 4500, currency: 'eur', hidden: true });
      }
    },
  );

  it.each(['EVENT_TYPE_CREATED', 'EVENT_TYPE.CREATED'])('reads a relayed %s', (trigger) => {
    expect(parseWebhookDelivery(delivery(trigger, teamEventType))._unsafeUnwrap().kind).toBe(
      'eventTypeCreated',
    );
  });

  it.each(['EVENT_TYPE_DELETED', 'EVENT_TYPE.DELETED'])(
    'reads a relayed %s by the id in its payload',
    (trigger) => {
      const result = parseWebhookDelivery(
        delivery(trigger, { id: 2002, title: 'Group Workshop' }),
      )._unsafeUnwrap();
      expect(result).toMatchObject({ kind: 'eventTypeDeleted', eventTypeId: 2002 });
    },
  );

  it('accepts any BOOKING_* trigger as a booking', () => {
    const result = parseWebhookDelivery(
      delivery('BOOKING_CANCELLED', { uid: 'abc', cancellationReason: 'ill' }),
    );
    expect(result._unsafeUnwrap()).toMatchObject({ kind: 'booking', payload: { uid: 'abc' } });
  });

  it('reports a valid envelope with an unhandled trigger as other', () => {
    const result = parseWebhookDelivery(delivery('MEETING_ENDED', { uid: 'abc' }));
    expect(result._unsafeUnwrap()).toMatchObject({ kind: 'other', triggerEvent: 'MEETING_ENDED' });
  });

  it('returns an error value for malformed JSON', () => {
    const error = parseWebhookDelivery('{"triggerEvent": "PING",')._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'CALCOM.WEBHOOK_MALFORMED', reason: 'invalid_json' });
  });

  it.each([
    ['a body that is not an envelope', { hello: 'world' }],
    ['a payload that is not an object', { triggerEvent: 'PING', createdAt: 'x', payload: 'nope' }],
    [
      'an updated event type without its fields',
      { triggerEvent: 'EVENT_TYPE_UPDATED', createdAt: 'x', payload: { id: 1, title: 'Only a title' } },
    ],
    [
      'a deletion without an id',
      { triggerEvent: 'EVENT_TYPE_DELETED', createdAt: 'x', payload: { title: 'x' } },
    ],
    [
      'a booking with a non-numeric event type',
      { triggerEvent: 'BOOKING_CREATED', createdAt: 'x', payload: { eventTypeId: 'a' } },
    ],
  ])('returns an error value for %s', (_name, body) => {
    const error = classifyWebhookDelivery(body)._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'CALCOM.WEBHOOK_MALFORMED', reason: 'invalid_shape' });
    expect(error.message).not.toBe('');
  });
});
