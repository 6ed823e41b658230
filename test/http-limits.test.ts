import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalsyncHarness } from './support/calsync-harness.js';
import { engineTitle, storeEngines } from './support/store-engines.js';
import { acme } from './support/tenants.js';

/** Everything a raw connection receives until the server closes it (or `giveUpMs` pass). */
async function slowRequest(
  url: string,
  chunks: readonly string[],
  everyMs: number,
  giveUpMs: number,
): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {});
  const started = Date.now();
  let text = '';
  socket.on('data', (data: Buffer) => {
    text += data.toString('utf8');
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  const giveUp = new Promise<number>((resolve) => setTimeout(() => resolve(-1), giveUpMs));
  void (async () => {
    for (const chunk of chunks) {
      if (socket.destroyed) return;
      socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  const closedAfterMs = await Promise.race([closed, giveUp]);
  socket.destroy();
  return { text, closedAfterMs };
}

for (const engine of storeEngines()) {
  describe.skipIf(engine.skipReason !== null)(
    `HTTP limits from the configuration file ${engineTitle(engine)}`,
    () => {
      let harness: CalsyncHarness;

      beforeAll(async () => {
        harness = await CalsyncHarness.start({
          engine,
          tag: 'http-limits',
          http: {
            requestTimeoutMs: 1500,
            headersTimeoutMs: 1000,
            connectionTimeoutMs: 1500,
            keepAliveTimeoutMs: 500,
            rateLimit: { failedAuthPerIpPerMinute: 10 },
          },
        });
      });
      afterAll(async () => {
        await harness?.close();
      });

      it('cuts a body sent one byte at a time with 408 REQUEST_TIMEOUT in the error shape', async () => {
        const body = '{"name":"Herrenhaarschnitt"}';
        const head = `POST /v1/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acme.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
        const exchange = await slowRequest(harness.url, [head, ...body.split('')], 200, 8000);
        expect(exchange.closedAfterMs).toBeGreaterThan(0);
        expect(exchange.closedAfterMs).toBeLessThan(4000);
        expect(exchange.text).toMatch(/^HTTP\/1\.1 408 /);
        expect(exchange.text).toContain('"code":"REQUEST_TIMEOUT"');
      });

      it('meets a flood of wrong bearer tokens with 429 TOO_MANY_FAILED_AUTH after the configured budget', async () => {
        const statuses: number[] = [];
        let lastBody: unknown;
        for (let attempt = 0; attempt < 40; attempt++) {
          const response = await fetch(`${harness.url}/v1/services`, {
            headers: { authorization: `Bearer wrong-${attempt}` },
          });
          statuses.push(response.status);
          lastBody = await response.json();
          if (attempt === 39) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
        expect(statuses.slice(10)).toEqual(Array(30).fill(429));
        expect(lastBody).toMatchObject({ error: { code: 'TOO_MANY_FAILED_AUTH' } });
      });

      it('answers broken framing with 400 MALFORMED_REQUEST in the error shape', async () => {
        const exchange = await slowRequest(harness.url, ['GET / HTTP/1.1\r\nHost x\r\n\r\n'], 0, 4000);
        expect(exchange.text).toMatch(/^HTTP\/1\.1 400 /);
        expect(exchange.text).toContain('"code":"MALFORMED_REQUEST"');
      });
    },
  );
}
