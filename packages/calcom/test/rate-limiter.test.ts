import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimiter, rateLimiterFor } from '../src/index.js';
import { createManualClock } from './manual-clock.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function limiterWithClock(limit: number, windowMs: number) {
  const clock = createManualClock(1_000);
  const limiter = createRateLimiter({ limit, windowMs, now: clock.now, sleep: clock.sleep });
  const granted: number[] = [];
  const request = (n: number) => limiter.acquire().then(() => granted.push(n));
  return { clock, limiter, granted, request };
}

describe('rate limiter', () => {
  it('grants up to the limit at once and makes the next request wait a full window after the first answer', async () => {
    const { clock, limiter, granted, request } = limiterWithClock(3, 60_000);
    for (const n of [1, 2, 3, 4]) void request(n);
    await settle();
    expect(granted).toEqual([1, 2, 3]);

    await clock.advanceBy(500);
    limiter.release(); // the first answer arrives at t0 + 500
    await clock.advanceBy(59_999);
    expect(granted).toEqual([1, 2, 3]);
    await clock.advanceBy(1);
    expect(granted).toEqual([1, 2, 3, 4]);
  });

  it('holds a slot for as long as its request is in flight', async () => {
    const { clock, granted, request } = limiterWithClock(1, 1_000);
    void request(1);
    void request(2);
    await clock.advanceBy(10_000);
    expect(granted).toEqual([1]);
  });

  it('serves waiters oldest first', async () => {
    const { clock, limiter, granted, request } = limiterWithClock(1, 100);
    for (const n of [1, 2, 3, 4, 5]) void request(n);
    for (let i = 0; i < 4; i++) {
      limiter.release();
      await clock.advanceBy(100);
    }
    expect(granted).toEqual([1, 2, 3, 4, 5]);
  });

  it('adopts a lower limit advertised by Cal.com', async () => {
    const { limiter, granted, request } = limiterWithClock(120, 60_000);
    limiter.observe({ 'X-RateLimit-Limit-Default': '2', 'X-RateLimit-Remaining-Default': '2' });
    for (const n of [1, 2, 3]) void request(n);
    await settle();
    expect(granted).toEqual([1, 2]);
    expect(limiter.snapshot().limit).toBe(2);
  });

  it("counts requests Cal.com saw but we did not (another process on the key) until Cal.com's reset", async () => {
    const { clock, limiter, granted, request } = limiterWithClock(10, 60_000);
    // Cal.com says only 1 of 10 is left for the next 5 s, though this limiter has sent nothing.
    limiter.observe(
      new Headers({
        'x-ratelimit-limit-default': '10',
        'x-ratelimit-remaining-default': '1',
        'x-ratelimit-reset-default': '5',
      }),
    );
    for (const n of [1, 2]) void request(n);
    await settle();
    expect(granted).toEqual([1]);
    await clock.advanceBy(4_999);
    expect(granted).toEqual([1]);
    await clock.advanceBy(1);
    expect(granted).toEqual([1, 2]);
  });

  it('grants nothing while paused after a 429', async () => {
    const { clock, limiter, granted, request } = limiterWithClock(10, 60_000);
    limiter.pauseFor(60_000);
    void request(1);
    await clock.advanceBy(59_999);
    expect(granted).toEqual([]);
    expect(limiter.snapshot().pausedUntil).toBe(61_000);
    await clock.advanceBy(1);
    expect(granted).toEqual([1]);
  });

  it('run() releases the slot when the task fails', async () => {
    const { clock, limiter } = limiterWithClock(1, 50);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.snapshot()).toMatchObject({ inFlight: 0, cooling: 1 });
    await clock.advanceBy(50);
    expect(limiter.snapshot()).toMatchObject({ inFlight: 0, cooling: 0 });
  });

  it('is shared by every client of one API key', () => {
    expect(rateLimiterFor('cal_shared_key')).toBe(rateLimiterFor('cal_shared_key'));
    expect(rateLimiterFor('cal_shared_key')).not.toBe(rateLimiterFor('cal_other_key'));
  });

  it('never lets limit + 1 requests reach Cal.com within one window, whatever the latencies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 25 }),
        async (limit, latencies) => {
          const windowMs = 1_000;
          const clock = createManualClock(0);
          const limiter = createRateLimiter({ limit, windowMs, now: clock.now, sleep: clock.sleep });
          const sent: Array<{ at: number; answered: number }> = [];
          const all = latencies.map((latency) =>
            limiter.run(async () => {
              const at = clock.now();
              await clock.sleep(latency);
              sent.push({ at, answered: clock.now() });
            }),
          );
          while (sent.length < latencies.length) await clock.advanceBy(50);
          await Promise.all(all);
          // Cal.com counts a request somewhere between its send and its answer. For any limit + 1 requests,
          // the last one was sent at least a window after an earlier one was answered.
          const bySend = [...sent].sort((a, b) => a.at - b.at);
          bySend.forEach((request, j) => {
            if (j < limit) return;
            const earlier = bySend.slice(0, j);
            const stillCounting = earlier.filter((e) => e.answered + windowMs > request.at);
            expect(stillCounting.length).toBeLessThan(limit);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
