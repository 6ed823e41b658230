import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  errorEnvelopeSchema,
  errorMessageFromBody,
  eventTypeSchema,
  parseWebhookDelivery,
  signWebhookBody,
  successEnvelopeSchema,
  verifyWebhookSignature,
  webhookEnvelopeSchema,
} from '../src/index.js';

// Copies of Cal.com's documented sample bodies: bodies shaped like Cal.com's real payloads (docs/calcom.md).
const fixtureDir = new URL('./fixtures/', import.meta.url);
const rawFixture = (name: string): Buffer => readFileSync(new URL(name, fixtureDir));
const fixture = (name: string): unknown => JSON.parse(rawFixture(name).toString('utf8'));

describe('Cal.com fixtures parse with the client schemas', () => {
  it('covers every fixture file', () => {
    expect(readdirSync(fixtureDir).sort()).toEqual([
      'error-404.json',
      'error-429.json',
      'event-type-v2.json',
      'team-event-types-list.json',
      'webhook-booking-created.json',
      'webhook-ping.json',
    ]);
  });

  it('reads a user event type (GET /v2/event-types/{id}) including price, currency and the confirmation policy', () => {
    const envelope = successEnvelopeSchema.parse(fixture('event-type-v2.json'));
    const eventType = eventTypeSchema.parse(envelope.data);
    expect(eventType).toMatchObject({
      id: 1001,
      title: 'Deep Tissue Massage',
      lengthInMinutes: 60,
      price: 0,
      currency: 'usd',
      confirmationPolicy: { disabled: true },
    });
    // Fields calsync does not read pass through untouched.
    expect(eventType.bookingUrl).toBe('https://cal.com/alice/deep-tissue-massage');
    expect(eventType.teamId).toBeUndefined();
  });

  it('reads the team list with its hidden, confirmation-requiring collective event type', () => {
    const envelope = successEnvelopeSchema.parse(fixture('team-event-types-list.json'));
    const eventTypes = eventTypeSchema.array().parse(envelope.data);
    expect(eventTypes.map((e) => [e.id, e.schedulingType, e.hidden, e.teamId])).toEqual([
      [2001, 'roundRobin', false, 42],
      [2002, 'collective', true, 42],
    ]);
    expect(eventTypes[1]?.confirmationPolicy).toEqual({
      type: 'always',
      blockUnconfirmedBookingsInBooker: true,
    });
  });

  it("reads the 404 and 429 error envelopes and takes Cal.com's message", () => {
    for (const [name, message] of [
      ['error-404.json', 'Event type with id 999 not found'],
      ['error-429.json', 'CustomThrottlerGuard - Too many requests. Please try again later.'],
    ] as const) {
      const body = fixture(name);
      expect(errorEnvelopeSchema.safeParse(body).success).toBe(true);
      expect(errorMessageFromBody(body, 0, '')).toBe(message);
    }
  });

  it('classifies the BOOKING_CREATED and PING deliveries', () => {
    const booking = parseWebhookDelivery(rawFixture('webhook-booking-created.json'))._unsafeUnwrap();
    expect(booking).toMatchObject({
      kind: 'booking',
      triggerEvent: 'BOOKING_CREATED',
      createdAt: '2025-11-20T09:00:00.000Z',
      payload: { uid: 'x7Yk2pQ9mN4vR8sT1wZ3aB', eventTypeId: 2001, bookingId: 90210, status: 'ACCEPTED' },
    });
    const ping = parseWebhookDelivery(rawFixture('webhook-ping.json'))._unsafeUnwrap();
    expect(ping.kind).toBe('ping');
    expect(webhookEnvelopeSchema.safeParse(fixture('webhook-ping.json')).success).toBe(true);
  });
});

describe('the schemas are lenient on unknown fields and strict on the ones calsync uses', () => {
  const teamEventType = () =>
    (
      successEnvelopeSchema.parse(fixture('team-event-types-list.json')).data as Record<string, unknown>[]
    )[0] ?? {};

  it('accepts a field Cal.com added later and keeps it', () => {
    const parsed = eventTypeSchema.parse({ ...teamEventType(), someNewCalcomField: { nested: true } });
    expect(parsed.someNewCalcomField).toEqual({ nested: true });
  });

  it.each([
    ['price as a decimal string', { price: '85.00' }],
    ['length instead of lengthInMinutes', { lengthInMinutes: undefined, length: 30 }],
    [
      'requiresConfirmation instead of a confirmation policy',
      { confirmationPolicy: undefined, requiresConfirmation: true },
    ],
    ['an unknown scheduling type', { schedulingType: 'ROUND_ROBIN' }],
    ['hidden as a string', { hidden: 'false' }],
  ])('rejects %s', (_name, change) => {
    expect(eventTypeSchema.safeParse({ ...teamEventType(), ...change }).success).toBe(false);
  });
});

describe('webhook signatures are computed over the exact raw bytes', () => {
  const secret = 'whsec-fixture-secret';
  const hmac = (bytes: Buffer | string) => createHmac('sha256', secret).update(bytes).digest('hex');

  it('accepts the signature of the pretty-printed bytes as delivered, and nothing derived from them', () => {
    const raw = rawFixture('webhook-booking-created.json');
    const signature = hmac(raw);
    expect(verifyWebhookSignature(raw, signature, secret)).toBe('valid');
    expect(verifyWebhookSignature(raw.toString('utf8'), signature, secret)).toBe('valid');
    // The same JSON, re-serialised compactly, is different bytes and must not verify.
    const compact = JSON.stringify(JSON.parse(raw.toString('utf8')));
    expect(verifyWebhookSignature(compact, signature, secret)).toBe('invalid');
    expect(verifyWebhookSignature(compact, hmac(compact), secret)).toBe('valid');
  });

  it('rejects a body changed by one byte, a wrong secret and a sha256= prefix', () => {
    const raw = rawFixture('webhook-ping.json');
    const signature = hmac(raw);
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 2] = 0x20;
    expect(verifyWebhookSignature(tampered, signature, secret)).toBe('invalid');
    expect(verifyWebhookSignature(raw, signature, 'another-secret')).toBe('invalid');
    expect(verifyWebhookSignature(raw, `sha256=${signature}`, secret)).toBe('invalid');
    expect(verifyWebhookSignature(raw, signature.slice(0, 63), secret)).toBe('invalid');
  });

  it("treats Cal.com's no-secret-provided as unsigned and an absent header as missing", () => {
    const raw = rawFixture('webhook-ping.json');
    expect(verifyWebhookSignature(raw, 'no-secret-provided', secret)).toBe('unsigned');
    expect(verifyWebhookSignature(raw, undefined, secret)).toBe('missing');
    expect(verifyWebhookSignature(raw, '', secret)).toBe('missing');
  });

  it('signs multi-byte UTF-8 text the same as its bytes', () => {
    const body = JSON.stringify({
      triggerEvent: 'PING',
      createdAt: 'x',
      payload: { title: 'Herrenhaarschnitt – Größe' },
    });
    expect(signWebhookBody(body, secret)).toBe(hmac(Buffer.from(body, 'utf8')));
    expect(signWebhookBody(Buffer.from(body, 'utf8'), secret)).toMatch(/^[0-9a-f]{64}$/);
  });
});
