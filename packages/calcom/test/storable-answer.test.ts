import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyWebhookDelivery,
  createCalcomClient,
  createRateLimiter,
  makeStorable,
  parseWebhookDelivery,
} from '../src/index.js';

const teamEventType = (
  JSON.parse(readFileSync(new URL('./fixtures/team-event-types-list.json', import.meta.url), 'utf8')) as {
    data: Record<string, unknown>[];
  }
).data[1] as Record<string, unknown>;

const storable = (text: string) => text.isWellFormed() && !text.includes('\u0000');

/** Every string and key of a value, walked without recursion. */
function textsOf(value: unknown): string[] {
  const texts: string[] = [];
  const pending = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item)) pending.push(...item);
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        texts.push(key);
        pending.push(child);
      }
    }
  }
  return texts;
}

/** The value with every string and key made storable the reference way, for comparison. */
function expected(value: unknown): unknown {
  const fix = (text: string) => text.toWellFormed().replaceAll('\u0000', '\uFFFD');
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map(expected);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [fix(key), expected(child)]));
  return value;
}

describe('text from Cal.com is made storable before calsync reads it', () => {
  it('replaces a NUL and a lone surrogate in a title by U+FFFD and leaves the rest as it was', () => {
    const answer = {
      data: [
        { ...teamEventType, title: 'Kurs\u0000A' },
        { ...teamEventType, title: 'Kurs\ud800B' },
      ],
    };
    expect(makeStorable(answer)._unsafeUnwrap()).toEqual({
      data: [
        { ...teamEventType, title: 'Kurs\uFFFDA' },
        { ...teamEventType, title: 'Kurs\uFFFDB' },
      ],
    });
  });

  it('makes keys storable too and keeps their order', () => {
    const made = makeStorable({ b: 1, 'a\u0000': 2, c: 3 })._unsafeUnwrap() as object;
    expect(Object.keys(made)).toEqual(['b', 'a\uFFFD', 'c']);
  });

  it('keeps a "__proto__" key of an answer as data, not as the prototype', () => {
    const made = makeStorable(JSON.parse('{"__proto__": {"polluted": true}}'))._unsafeUnwrap() as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(Object.hasOwn(made, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('walks an answer nested far deeper than the call stack allows', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}"x\\u0000"${']'.repeat(depth)}`;
    const made = makeStorable(JSON.parse(text))._unsafeUnwrap();
    let inner: unknown = made;
    for (let level = 0; level < depth; level++) inner = (inner as unknown[])[0];
    expect(inner).toBe('x\uFFFD');
  });

  it('refuses an answer with more values than the limit instead of walking it without end', () => {
    expect(makeStorable([1, 2, 3, 4], 4)._unsafeUnwrapErr()).toEqual({
      kind: 'too_many_values',
      maxNodes: 4,
    });
    expect(makeStorable([1, 2, 3], 4).isOk()).toBe(true);
  });

  it('any JSON from Cal.com comes out with every string storable and otherwise the same', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), fc.boolean(), (value, viaText) => {
        // Lone surrogates survive JSON.stringify as \ud800 escapes, as Cal.com would send them.
        const input = viaText ? JSON.parse(JSON.stringify(value)) : value;
        const made = makeStorable(input)._unsafeUnwrap();
        expect(textsOf(made).every(storable)).toBe(true);
        expect(made).toEqual(expected(input));
      }),
      { numRuns: 300 },
    );
  });

  it('an already storable answer comes out equal to what went in', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const input = JSON.parse(JSON.stringify(value));
        expect(makeStorable(input)._unsafeUnwrap()).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the client and the webhook reader hand on storable text only', () => {
  it('reads an event type whose title holds a NUL and a lone surrogate with U+FFFD in their place', async () => {
    // Written by hand: these are the escapes Cal.com's JSON carries on the wire.
    const body = `{"status":"success","data":${JSON.stringify(teamEventType).replace(
      '"Group Workshop"',
      '"Kurs\\u0000 \\ud800"',
    )}}`;
    const client = createCalcomClient({
      apiUrl: 'https://api.cal.test/v2',
      apiKey: 'cal_test_key',
      fetch: (async () =>
        new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })) as typeof fetch,
      limiter: createRateLimiter({ windowMs: 10 }),
    });
    const eventType = (await client.getTeamEventType(42, 2002))._unsafeUnwrap();
    expect(eventType.title).toBe('Kurs\uFFFD \uFFFD');
  });

  it('reads a signed delivery whose event type title holds a NUL as readable text', () => {
    const raw = JSON.stringify({
      triggerEvent: 'EVENT_TYPE_UPDATED',
      createdAt: '2025-11-20T09:00:00.000Z',
      payload: { ...teamEventType, title: 'Kurs\u0000' },
    });
    const delivery = parseWebhookDelivery(Buffer.from(raw, 'utf8'))._unsafeUnwrap();
    expect(delivery.kind === 'eventTypeUpdated' && delivery.eventType.title).toBe('Kurs\uFFFD');
  });

  it('classifies an already-parsed body with a lone surrogate as readable text too', () => {
    const delivery = classifyWebhookDelivery({
      triggerEvent: 'BOOKING_CREATED',
      createdAt: '2025-11-20T09:00:00.000Z',
      payload: { uid: 'b\ud800', title: 'x\u0000' },
    })._unsafeUnwrap();
    expect(delivery.kind).toBe('booking');
    expect(delivery.kind === 'booking' && delivery.payload).toMatchObject({
      uid: 'b\uFFFD',
      title: 'x\uFFFD',
    });
  });
});
