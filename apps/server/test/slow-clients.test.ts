import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstAnswer, openSocket, rawExchange } from '../../../test/support/raw-http.js';
import type { Calsync } from '../src/calsync.js';
import { startCalsyncUnderTest, tokens } from './calsync-under-test.js';

/** Short timeouts, so that the tests see them fire (the defaults are in docs/limits.md). */
const http = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 2500,
  headersTimeoutMs: 1000,
  keepAliveTimeoutMs: 500,
};

const postHead = (length: number) =>
  `POST /v1/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.acme}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow clients are cut by the configured timeouts', () => {
  let calsync: Calsync;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    const started = await startCalsyncUnderTest({ http });
    calsync = started.calsync;
    app = started.app;
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await calsync.stop();
  });

  it('cuts a body sent one byte at a time with 408 REQUEST_TIMEOUT once the request timeout passes', async () => {
    const body = '{"name":"Herrenhaarschnitt","slug":"slow","durationMinutes":30}';
    const chunks = [postHead(body.length), ...body.split('')];
    const exchange = await rawExchange(url, chunks, { everyMs: 250, giveUpMs: 8000 });
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(http.requestTimeoutMs - 100);
    expect(exchange.closedAfterMs).toBeLessThan(http.requestTimeoutMs + 2000);
    const answer = firstAnswer(exchange.text);
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
  });

  it('cuts headers sent one line at a time once the headers timeout passes', async () => {
    const lines = [
      'GET /health/live HTTP/1.1\r\n',
      'Host: x\r\n',
      ...Array.from({ length: 30 }, (_, i) => `X-Slow-${i}: 1\r\n`),
    ];
    const exchange = await rawExchange(url, lines, { everyMs: 300, giveUpMs: 8000 });
    // Cut by the headers timeout, well before the request timeout.
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(http.headersTimeoutMs - 100);
    expect(exchange.closedAfterMs).toBeLessThan(http.requestTimeoutMs);
    const answer = firstAnswer(exchange.text);
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
  });

  it('closes 300 stalled bodies once the timeout passes, and still serves others', async () => {
    const exchanges = Array.from({ length: 300 }, () =>
      rawExchange(url, [`${postHead(100)}{"name":`], { giveUpMs: 8000 }),
    );
    const results = await Promise.all(exchanges);
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    const stillOpen = results.filter((result) => result.closedAfterMs < 0);
    expect(stillOpen).toHaveLength(0);
    expect(Math.max(...results.map((result) => result.closedAfterMs))).toBeLessThan(
      http.requestTimeoutMs + 2500,
    );
    expect(live.statusCode).toBe(200);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const socket = await openSocket(url);
    const started = Date.now();
    let answered = '';
    socket.on('data', (data: Buffer) => {
      answered += data.toString('utf8');
    });
    socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const closedAfterMs = await new Promise<number>((resolve) => {
      socket.once('close', () => resolve(Date.now() - started));
      setTimeout(() => resolve(-1), 5000);
    });
    socket.destroy();
    expect(firstAnswer(answered).status).toBe(200);
    expect(closedAfterMs).toBeGreaterThan(0);
    expect(closedAfterMs).toBeLessThan(2000);
  });

  it('closes a connection that never sends a request after the headers timeout', async () => {
    const exchange = await rawExchange(url, [], { giveUpMs: 6000 });
    expect(exchange.closedAfterMs).toBeGreaterThan(0);
    expect(exchange.closedAfterMs).toBeLessThan(3500);
  });
});
