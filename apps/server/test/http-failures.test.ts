import { afterEach, describe, expect, it } from 'vitest';
import type { Calsync } from '../src/calsync.js';
import { startCalsyncUnderTest, switchableStore, tokens } from './calsync-under-test.js';

const serviceBody = {
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Envelope {
  error: { code: string; message: string; details?: unknown };
}

describe('HTTP failures', () => {
  let calsync: Calsync | undefined;
  afterEach(async () => {
    await calsync?.stop();
    calsync = undefined;
  });

  it('answers 503 STORE_UNAVAILABLE to a command while the store is down, and works again once it is back', async () => {
    const store = switchableStore();
    const started = await startCalsyncUnderTest({ store });
    calsync = started.calsync;
    const register = () =>
      started.app.inject({
        method: 'POST',
        url: '/v1/services',
        headers: bearer(tokens.acme),
        payload: serviceBody,
      });

    store.down = true;
    const refused = await register();
    const notReady = await started.app.inject({ method: 'GET', url: '/health/ready' });
    store.down = false;
    const accepted = await register();
    const ready = await started.app.inject({ method: 'GET', url: '/health/ready' });

    expect(refused.statusCode).toBe(503);
    expect(refused.json<Envelope>().error.code).toBe('STORE_UNAVAILABLE');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ ready: false, store: { reachable: false } });
    expect(accepted.statusCode).toBe(201);
    expect(ready.statusCode).toBe(200);
  });

  it('answers 503 STORE_UNAVAILABLE to the audit queries while the store is down, never a cursor error or a 500', async () => {
    const store = switchableStore();
    const started = await startCalsyncUnderTest({ store });
    calsync = started.calsync;
    const registered = await started.app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: bearer(tokens.acme),
      payload: serviceBody,
    });
    const { serviceId } = registered.json<{ serviceId: string }>();
    const query = (url: string) => started.app.inject({ method: 'GET', url, headers: bearer(tokens.acme) });

    store.down = true;
    const answers = [
      await query('/v1/audit'),
      await query('/v1/audit?limit=1'),
      await query(`/v1/services/${serviceId}/audit`),
    ];
    store.down = false;
    const badCursor = await query('/v1/audit?after=not-a-position');

    for (const answer of answers) {
      expect(answer.statusCode).toBe(503);
      expect(answer.json<Envelope>().error.code).toBe('STORE_UNAVAILABLE');
    }
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json<Envelope>().error.code).toBe('INVALID_CURSOR');
  });

  it('answers 429 RATE_LIMITED once a token spends its budget, leaving other companies’ tokens alone', async () => {
    const started = await startCalsyncUnderTest({
      http: { rateLimit: { perIpPerMinute: 100, perTokenPerMinute: 3 } },
    });
    calsync = started.calsync;
    const list = (token: string) =>
      started.app.inject({ method: 'GET', url: '/v1/services', headers: bearer(token) });

    const statuses = [];
    for (let call = 0; call < 4; call++) statuses.push((await list(tokens.acme)).statusCode);
    const limited = await list(tokens.acme);
    const other = await list(tokens.beta);

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited.statusCode).toBe(429);
    expect(limited.json<Envelope>().error.code).toBe('RATE_LIMITED');
    expect(Object.keys(limited.json<Envelope>())).toEqual(['error']);
    expect(other.statusCode).toBe(200);
  });

  it('rate-limits requests without a token per client address, the 404 handler included', async () => {
    const started = await startCalsyncUnderTest({
      http: { rateLimit: { perIpPerMinute: 2, perTokenPerMinute: 100 } },
    });
    calsync = started.calsync;
    const probe = () => started.app.inject({ method: 'GET', url: '/no/such/route' });

    const statuses = [(await probe()).statusCode, (await probe()).statusCode];
    const third = await probe();

    expect(statuses).toEqual([404, 404]);
    expect(third.statusCode).toBe(429);
    expect(third.json<Envelope>().error.code).toBe('RATE_LIMITED');
  });

  it('answers 404 NOT_FOUND for a method a route does not have', async () => {
    const started = await startCalsyncUnderTest();
    calsync = started.calsync;

    const response = await started.app.inject({
      method: 'DELETE',
      url: '/v1/services',
      headers: bearer(tokens.acme),
    });

    expect(response.statusCode).toBe(404);
    expect(response.json<Envelope>().error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 409 CALCOM_NOT_CONFIGURED when a company without a Cal.com team links, and registers nothing', async () => {
    const started = await startCalsyncUnderTest();
    calsync = started.calsync;
    const register = (payload: object) =>
      started.app.inject({ method: 'POST', url: '/v1/services', headers: bearer(tokens.gamma), payload });

    const linked = await register({ ...serviceBody, calcom: { eventTypeId: 2001 } });
    const list = await started.app.inject({
      method: 'GET',
      url: '/v1/services',
      headers: bearer(tokens.gamma),
    });
    const unlinked = await register(serviceBody);

    expect(linked.statusCode).toBe(409);
    expect(linked.json<Envelope>().error.code).toBe('CALCOM_NOT_CONFIGURED');
    expect(list.json()).toEqual({ items: [], next: null });
    expect(unlinked.statusCode).toBe(201);
    expect(unlinked.json()).toMatchObject({ companyId: 'gamma', calcom: null, sync: { status: 'never' } });
  });
});
