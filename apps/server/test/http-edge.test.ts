import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstAnswer, openSocket, rawExchange } from '../../../test/support/raw-http.js';
import type { Calsync } from '../src/calsync.js';
import { startCalsyncUnderTest, tokens } from './calsync-under-test.js';

interface Envelope {
  error: { code: string; message: string; details?: unknown };
}

const serviceBody = {
  name: 'Herrenhaarschnitt',
  slug: 'herrenhaarschnitt',
  durationMinutes: 30,
  price: { amount: 3500, currency: 'EUR' },
};
const bearer = { authorization: `Bearer ${tokens.acme}` };

function expectEnvelope(body: unknown, code: string): void {
  expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(Object.keys(body as object)).toEqual(['error']);
}

describe('HTTP edges: every answer that is not 2xx has the contract’s error shape', () => {
  let calsync: Calsync;
  let app: FastifyInstance;
  let url: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    const started = await startCalsyncUnderTest({ logger });
    calsync = started.calsync;
    app = started.app;
    url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', 'localhost');
  });
  afterAll(async () => {
    await calsync.stop();
  });

  it('answers broken framing with 400 MALFORMED_REQUEST and closes the connection', async () => {
    const exchange = await rawExchange(url, ['THIS IS NOT HTTP\r\n\r\n']);
    const answer = firstAnswer(exchange.text);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.body, 'MALFORMED_REQUEST');
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(0);
  });

  it('answers a conflicting Content-Length with 400 MALFORMED_REQUEST', async () => {
    const exchange = await rawExchange(url, [
      'POST /v1/services HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc',
    ]);
    const answer = firstAnswer(exchange.text);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.body, 'MALFORMED_REQUEST');
  });

  it('answers headers that are too large with 431 HEADERS_TOO_LARGE', async () => {
    const exchange = await rawExchange(url, [
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    const answer = firstAnswer(exchange.text);
    expect(answer.status).toBe(431);
    expectEnvelope(answer.body, 'HEADERS_TOO_LARGE');
  });

  it('answers a path parameter longer than the router accepts with 414 URI_TOO_LONG', async () => {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/services/${'x'.repeat(5000)}`,
      headers: bearer,
    });
    expect(response.statusCode).toBe(414);
    expectEnvelope(response.json(), 'URI_TOO_LONG');
  });

  it('answers a broken percent-encoding with 400 BAD_URL', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/services/%E0%A4%A', headers: bearer });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'BAD_URL');
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(response.statusCode).toBe(404);
    expectEnvelope(response.json(), 'NOT_FOUND');
  });

  it('answers a body that is not JSON by its media type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...bearer, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(response.statusCode).toBe(415);
    expectEnvelope(response.json(), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body larger than the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...serviceBody, name: 'x'.repeat(2_000_000) }),
    });
    expect(response.statusCode).toBe(413);
    expectEnvelope(response.json(), 'PAYLOAD_TOO_LARGE');
  });

  it('answers a broken JSON body with 400 INVALID_JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'INVALID_JSON');
  });

  it('answers a body that tries prototype poisoning with 400 INVALID_JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: '{"__proto__":{"admin":true},"name":"x"}',
    });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'INVALID_JSON');
  });

  it('refuses a NUL character in a body field with 400 VALIDATION_FAILED naming the field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: bearer,
      payload: { ...serviceBody, slug: 'nul-in-name', name: 'Herren\u0000schnitt' },
    });
    expect(response.statusCode).toBe(400);
    expectEnvelope(response.json(), 'VALIDATION_FAILED');
    expect(response.json<Envelope>().error.message).toContain('body.name');
  });

  it('refuses a lone surrogate in a body field with 400 VALIDATION_FAILED naming the field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/services',
      headers: { ...bearer, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...serviceBody, slug: 'lone-surrogate' }).replace(
        '"Herrenhaarschnitt"',
        '"Herren\\ud800schnitt"',
      ),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<Envelope>().error.message).toContain('body.name');
  });

  it('refuses a NUL character in a path parameter and in the query with 400 VALIDATION_FAILED', async () => {
    const inPath = await app.inject({ method: 'GET', url: '/v1/services/abc%00def', headers: bearer });
    const inQuery = await app.inject({ method: 'GET', url: '/v1/audit?after=%00', headers: bearer });
    expect(inPath.statusCode).toBe(400);
    expect(inPath.json<Envelope>().error.message).toContain('params.id');
    expect(inQuery.statusCode).toBe(400);
    expect(inQuery.json<Envelope>().error.message).toContain('query.after');
  });

  it.each([100, 1500, 3000, 10_000, 100_000])(
    'refuses an assignment nested %i levels deep with 400, never a 500, and registers nothing',
    async (depth) => {
      const assignment = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const payload = JSON.stringify({ ...serviceBody, slug: `deep-${depth}` }).replace(
        /}$/,
        `,"assignment":${assignment}}`,
      );
      const response = await app.inject({
        method: 'POST',
        url: '/v1/services',
        headers: { ...bearer, 'content-type': 'application/json' },
        payload,
      });
      const listed = await app.inject({ method: 'GET', url: '/v1/services', headers: bearer });
      expect(response.statusCode).toBe(400);
      expectEnvelope(response.json(), 'VALIDATION_FAILED');
      expect(response.body.length).toBeLessThan(2000);
      expect(listed.body).not.toContain(`deep-${depth}`);
    },
  );

  it.each([3000, 100_000])(
    'refuses a body nested %i levels deep in an unknown field with 400',
    async (depth) => {
      const response = await app.inject({
        method: 'PATCH',
        url: '/v1/services/some-id',
        headers: { ...bearer, 'content-type': 'application/json' },
        payload: `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      });
      expect(response.statusCode).toBe(400);
      expectEnvelope(response.json(), 'VALIDATION_FAILED');
    },
  );

  it('uses a client’s x-request-id only when it is a short, safe token', async () => {
    const safe = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123.x:y_z' },
    });
    const unsafe = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'evil\u001b[31m id with spaces' },
    });
    const long = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'a'.repeat(65) },
    });
    expect(safe.headers['x-request-id']).toBe('abc-123.x:y_z');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs a client that aborts while sending its body at info, not error', async () => {
    const socket = await openSocket(url);
    socket.on('error', () => {});
    socket.write(
      `POST /v1/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.acme}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const entries = logLines
      .flatMap((chunk) => chunk.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line));
    const aborted = entries.filter((entry) => /abort|closed its connection/.test(String(entry.msg)));
    expect(aborted.length).toBeGreaterThan(0);
    expect(entries.filter((entry) => entry.level >= 50)).toEqual([]);
  });
});
