import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Calsync } from '../src/calsync.js';
import { FailedAuthThrottle } from '../src/http/plugins/failed-auth-throttle.js';
import { startCalsyncUnderTest, tokens } from './calsync-under-test.js';

interface Envelope {
  error: { code: string; message: string };
}

const list = (app: FastifyInstance, token: string | null, ip = '198.51.100.7') =>
  app.inject({
    method: 'GET',
    url: '/v1/services',
    remoteAddress: ip,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

describe('failed sign-ins are throttled per client address', () => {
  let calsync: Calsync | undefined;
  afterEach(async () => {
    await calsync?.stop();
    calsync = undefined;
  });

  async function start(failedAuthPerIpPerMinute?: number) {
    const started = await startCalsyncUnderTest(
      failedAuthPerIpPerMinute ? { http: { rateLimit: { failedAuthPerIpPerMinute } } } : {},
    );
    calsync = started.calsync;
    return started.app;
  }

  it('answers 429 with Retry-After after about 30 different wrong tokens from one address', async () => {
    const app = await start();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof list>> | undefined;
    for (let attempt = 0; attempt < 2000; attempt++) {
      const response = await list(app, `guess-${attempt}`);
      statuses.push(response.statusCode);
      limited ??= response.statusCode === 429 ? response : undefined;
    }
    expect(statuses.slice(0, 30).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(30).every((status) => status === 429)).toBe(true);
    expect(limited?.json<Envelope>().error.code).toBe('TOO_MANY_FAILED_AUTH');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited?.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('answers 429 to the same wrong token sent again and again', async () => {
    const app = await start(5);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) statuses.push((await list(app, 'wrong-token')).statusCode);
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
  });

  it('answers 429 to requests without a token sent again and again', async () => {
    const app = await start(5);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) statuses.push((await list(app, null)).statusCode);
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
  });

  it('keeps serving a valid token from another client address while one address is throttled', async () => {
    const app = await start(5);
    for (let attempt = 0; attempt < 10; attempt++) await list(app, `guess-${attempt}`, '198.51.100.7');
    const throttled = await list(app, `guess-x`, '198.51.100.7');
    const other = await list(app, tokens.acme, '203.0.113.9');
    expect(throttled.statusCode).toBe(429);
    expect(other.statusCode).toBe(200);
  });

  it('does not count requests with a valid token against the address', async () => {
    const app = await start(3);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) statuses.push((await list(app, tokens.acme)).statusCode);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect((await list(app, 'wrong')).statusCode).toBe(401);
  });

  it('answers 429 RATE_LIMITED with Retry-After once a valid token spends its own budget', async () => {
    const started = await startCalsyncUnderTest({ http: { rateLimit: { perTokenPerMinute: 2 } } });
    calsync = started.calsync;
    const statuses = [];
    for (let call = 0; call < 2; call++) statuses.push((await list(started.app, tokens.acme)).statusCode);
    const limited = await list(started.app, tokens.acme);
    expect(statuses).toEqual([200, 200]);
    expect(limited.statusCode).toBe(429);
    expect(limited.json<Envelope>().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('gives unknown tokens no rate budget of their own: they share the address’s', async () => {
    const started = await startCalsyncUnderTest({
      http: { rateLimit: { perIpPerMinute: 5, perTokenPerMinute: 100, failedAuthPerIpPerMinute: 1000 } },
    });
    calsync = started.calsync;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const response = await started.app.inject({
        method: 'GET',
        url: '/no/such/route',
        remoteAddress: '198.51.100.7',
        headers: { authorization: `Bearer guess-${attempt}` },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
  });
});

describe('the failed sign-in window', () => {
  it('opens the address again once its minute is over', () => {
    let now = 1_000_000;
    const throttle = new FailedAuthThrottle(2, () => now);
    throttle.recordFailure('a');
    throttle.recordFailure('a');
    const blocked = throttle.blockedFor('a');
    now += 60_000;
    expect(blocked).toBe(60_000);
    expect(throttle.blockedFor('a')).toBe(0);
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    const throttle = new FailedAuthThrottle(1, () => 0, 3);
    for (const address of ['a', 'b', 'c', 'd']) throttle.recordFailure(address);
    expect(throttle.blockedFor('a')).toBe(0);
    expect(throttle.blockedFor('d')).toBeGreaterThan(0);
  });
});
