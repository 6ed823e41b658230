import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, serverErrorMessage } from '../src/http/http-error.js';
import { registerErrorHandler } from '../src/http/plugins/error-handler.js';

const upstreamText =
  'GET https://api.cal.com/v2/teams/42 answered 502: <html>bad gateway</html> key=cal_live_123';

/** A bare app with the one error handler and routes that fail in each way a 5xx can arise. */
async function appWithFailingRoutes() {
  const app = Fastify({ logger: false, genReqId: () => 'req-7' });
  registerErrorHandler(app, 1024);
  app.get('/calcom', async () => {
    throw new HttpError('CALCOM_UNAVAILABLE', upstreamText, { teamId: 42 });
  });
  app.get('/store', async () => {
    throw new HttpError('STORE_UNAVAILABLE', 'connect ECONNREFUSED 10.9.8.7:5432', undefined, {
      'retry-after': '5',
    });
  });
  app.get('/bug', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'revision')");
  });
  app.get('/conflict', async () => {
    throw new HttpError('REVISION_CONFLICT', 'The service is at revision 4, not 3. Reload it.', {
      current: null,
    });
  });
  await app.ready();
  return app;
}

describe('what a 5xx answer tells the client', () => {
  let app: Awaited<ReturnType<typeof appWithFailingRoutes>> | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each([
    ['/calcom', 503, 'CALCOM_UNAVAILABLE'],
    ['/store', 503, 'STORE_UNAVAILABLE'],
    ['/bug', 500, 'INTERNAL'],
  ] as const)(
    '%s: answers %i %s with the fixed message and the request id, never the cause',
    async (url, status, code) => {
      app = await appWithFailingRoutes();
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode).toBe(status);
      expect(answer.json()).toEqual({
        error: { code, message: serverErrorMessage[code], requestId: 'req-7' },
      });
      for (const word of ['cal_live_123', 'html', 'ECONNREFUSED', 'revision', 'teamId'])
        expect(answer.body).not.toContain(word);
    },
  );

  it('keeps the headers a 5xx carries, such as Retry-After', async () => {
    app = await appWithFailingRoutes();
    const answer = await app.inject({ method: 'GET', url: '/store' });
    expect(answer.headers['retry-after']).toBe('5');
  });

  it('leaves a 4xx answer as the use case wrote it, with its details and no request id in the body', async () => {
    app = await appWithFailingRoutes();
    const answer = await app.inject({ method: 'GET', url: '/conflict' });
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toEqual({
      error: {
        code: 'REVISION_CONFLICT',
        message: 'The service is at revision 4, not 3. Reload it.',
        details: { current: null },
      },
    });
  });
});
