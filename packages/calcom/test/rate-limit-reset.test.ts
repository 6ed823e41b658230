import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clampTimerDelay,
  createRateLimiter,
  MAX_TIMER_DELAY_MS,
  rateLimitWait,
  retryAfterFromHeaders,
} from '../src/index.js';
import { createManualClock } from './manual-clock.js';

const cap = 900_000;

describe('the wait after a 429', () => {
  it('honours a valid reset as seconds until the window ends, as Cal.com sends it', () => {
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': '42' }, { maxResetMs: cap });
    expect(wait).toMatchObject({ waitMs: 42_000, advertisedMs: 42_000, capped: false, fallback: false });
  });

  it('takes the longest reset of several trackers, since a 429 means all of them are blocked', () => {
    const headers = { 'x-ratelimit-reset-short': '3', 'x-ratelimit-reset-long': '50.5' };
    expect(retryAfterFromHeaders(headers, { maxResetMs: cap })).toBe(50_500);
  });

  it('caps an advertised hour at sync.maxRateLimitResetMs and says it did', () => {
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': '3600' }, { maxResetMs: 2_000 });
    expect(wait).toMatchObject({ waitMs: 2_000, advertisedMs: 3_600_000, capped: true, fallback: false });
  });

  it.each([
    ['garbage', 'soon'],
    ['a negative number', '-5'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['an epoch timestamp in milliseconds', '1796300000000'],
    ['an absurd number', '1e308'],
    ['an empty value', ''],
  ])('falls back to the 60 s window when the reset is %s', (_label, raw) => {
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': raw }, { maxResetMs: cap });
    expect(wait).toMatchObject({ waitMs: 60_000, advertisedMs: null, capped: false, fallback: true });
  });

  it('reads a Retry-After in seconds too, and ignores one that is not', () => {
    expect(rateLimitWait({ 'Retry-After': '30' }).waitMs).toBe(30_000);
    expect(rateLimitWait({ 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' })).toMatchObject({
      waitMs: 60_000,
      fallback: true,
    });
  });

  it('never waits longer than the cap, even when the cap is shorter than the window', () => {
    expect(rateLimitWait({}, { maxResetMs: 2_000 }).waitMs).toBe(2_000);
  });

  it('yields a finite wait within the cap for any header string (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String), fc.bigInt().map(String)),
        fc.oneof(fc.string(), fc.double().map(String)),
        fc.integer({ min: 1_000, max: 86_400_000 }),
        (reset, retryAfter, maxResetMs) => {
          const wait = rateLimitWait(
            { 'X-RateLimit-Reset-Default': reset, 'Retry-After': retryAfter },
            { maxResetMs },
          );
          expect(Number.isFinite(wait.waitMs)).toBe(true);
          expect(wait.waitMs).toBeGreaterThanOrEqual(0);
          expect(wait.waitMs).toBeLessThanOrEqual(maxResetMs);
        },
      ),
    );
  });
});

describe('timer delays', () => {
  it('are clamped to what Node timers take, and a non-finite one becomes the safe default (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.constant(Number.NaN), fc.integer()),
        fc.nat(10_000),
        (ms, fallback) => {
          const delay = clampTimerDelay(ms, fallback);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
          if (!Number.isFinite(ms)) expect(delay).toBe(fallback);
          // `===`, not Object.is: a delay of -0 ms is the delay 0.
          else if (ms >= 0 && ms <= MAX_TIMER_DELAY_MS) expect(delay === ms).toBe(true);
        },
      ),
    );
  });
});

describe('the rate limiter after a 429', () => {
  it('pauses the key no longer than its cap and remembers what Cal.com advertised', async () => {
    const clock = createManualClock(1_000);
    const limiter = createRateLimiter({ now: clock.now, sleep: clock.sleep, maxResetMs: 2_000 });
    const wait = rateLimitWait({ 'X-RateLimit-Reset-Default': '3600' }, limiter.resetBounds());
    limiter.pauseFor(wait.waitMs, wait);
    expect(limiter.snapshot().pause).toMatchObject({
      untilMs: 3_000,
      waitMs: 2_000,
      advertisedMs: 3_600_000,
      capped: true,
      maxResetMs: 2_000,
    });
    let granted = false;
    void limiter.acquire().then(() => {
      granted = true;
    });
    await clock.advanceBy(1_999);
    expect(granted).toBe(false);
    await clock.advanceBy(1);
    expect(granted).toBe(true);
    expect(limiter.snapshot().pause).toBeNull();
  });

  it('caps a pause asked for directly, and turns a non-finite one into the 60 s block', () => {
    const clock = createManualClock(0);
    const limiter = createRateLimiter({ now: clock.now, sleep: clock.sleep, maxResetMs: 900_000 });
    limiter.pauseFor(Number.POSITIVE_INFINITY);
    expect(limiter.snapshot().pausedUntil).toBe(60_000);
    limiter.pauseFor(1e15);
    expect(limiter.snapshot().pause).toMatchObject({ untilMs: 900_000, capped: true });
  });

  it('sets no timer beyond what Node takes, whatever the advertised surplus reset', async () => {
    const delays: number[] = [];
    const limiter = createRateLimiter({
      limit: 1,
      sleep: (ms) => {
        delays.push(ms);
        return new Promise(() => {});
      },
    });
    limiter.observe({ 'x-ratelimit-remaining-default': '0', 'x-ratelimit-reset-default': '1e300' });
    void limiter.acquire();
    limiter.pauseFor(Number.MAX_VALUE);
    void limiter.acquire();
    expect(delays.length).toBeGreaterThan(0);
    for (const ms of delays) expect(ms).toBeLessThanOrEqual(900_000);
  });
});
