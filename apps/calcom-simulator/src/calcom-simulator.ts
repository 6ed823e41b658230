import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CalcomEventType } from '@calsync/calcom';
import { handleApiRequest } from './api-routes.js';
import { createApiThrottle, DEFAULT_SIMULATED_RATE_LIMIT, type RateLimitSettings } from './api-throttle.js';
import { handleControlRequest } from './control-routes.js';
import { errorEnvelope } from './error-envelope.js';
import { createEventTypeStore } from './event-type-store.js';
import { createFaultTable, type FaultSpec } from './fault-injection.js';
import { createRequestLog, type RecordedRequest } from './request-log.js';
import { createSimulatorControl, type SimulatorControl } from './simulator-control.js';

export interface CalcomSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  keys?: Array<{ apiKey: string; teamIds: number[] }>;
  teams?: Array<{
    id: number;
    name?: string;
    eventTypes?: Array<Partial<CalcomEventType> & Record<string, unknown>>;
  }>;
  /** Cal.com's defaults are 120 per 60 s with a 60 s block; tests scale the time down. */
  rateLimit?: RateLimitSettings;
}

export interface CalcomSimulator {
  /** API base including `/v2`, e.g. `http://127.0.0.1:PORT/v2`. */
  url: string;
  /** Control API base, e.g. `http://127.0.0.1:PORT/_control`. */
  controlUrl: string;
  control: SimulatorControl;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

function recordedBody(raw: string): unknown {
  if (raw === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(payload === '' ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'X-Request-Id': randomUUID(),
    ...headers,
  });
  response.end(payload);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts an HTTP server that answers like Cal.com API v2 for team event types. */
export async function startCalcomSimulator(options: CalcomSimulatorOptions = {}): Promise<CalcomSimulator> {
  const store = createEventTypeStore();
  const throttle = createApiThrottle(options.rateLimit ?? DEFAULT_SIMULATED_RATE_LIMIT);
  const faults = createFaultTable();
  const log = createRequestLog();
  const control = createSimulatorControl({ store, faults, log, throttle });

  for (const team of options.teams ?? []) {
    store.addTeam(team.id, team.name);
    for (const eventType of team.eventTypes ?? []) store.create(team.id, eventType);
  }
  for (const key of options.keys ?? []) store.addKey(key.apiKey, key.teamIds);

  async function applyFault(
    fault: FaultSpec,
    entry: RecordedRequest,
    response: ServerResponse,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'drop':
        response.socket?.destroy();
        return true;
      case 'timeout':
        // Never answered; close() tears the connection down.
        return true;
      case 'latency':
        await delay(fault.latencyMs ?? 1000);
        return false;
      case 'status': {
        const status = fault.status ?? 500;
        entry.status = status;
        writeJson(
          response,
          status,
          fault.body ?? errorEnvelope(status, entry.path, 'Injected fault'),
          fault.headers,
        );
        return true;
      }
    }
  }

  async function serveApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const entry: RecordedRequest = {
      method,
      path: url.pathname + url.search,
      headers: flattenHeaders(request),
      body: null,
      status: null,
      at: Date.now(),
    };
    let rawBody: string;
    try {
      rawBody = await readBody(request);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      entry.status = 413;
      log.record(entry);
      writeJson(response, 413, errorEnvelope(413, entry.path, 'request entity too large'));
      return;
    }
    entry.body = recordedBody(rawBody);
    log.record(entry);

    const fault = faults.take(method, url.pathname);
    if (fault && (await applyFault(fault, entry, response))) return;

    const answer = handleApiRequest(
      { store, throttle },
      {
        method,
        pathname: url.pathname,
        url: entry.path,
        query: url.searchParams,
        authorization: request.headers.authorization,
        remoteAddress: request.socket.remoteAddress ?? 'unknown',
        rawBody,
      },
    );
    entry.status = answer.status;
    writeJson(response, answer.status, answer.body, answer.headers);
  }

  async function serveControl(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const raw = await readBody(request);
    let body: unknown = {};
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      writeJson(response, 400, { error: 'body is not JSON' });
      return;
    }
    const answer = await handleControlRequest(control, request.method ?? 'GET', url.pathname, body);
    writeJson(response, answer.status, answer.body);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const serve = url.pathname.startsWith('/_control') ? serveControl : serveApi;
    serve(request, response, url).catch((error: unknown) => {
      // A simulator bug: answer 500 like an unhandled Cal.com error would, and say why on stderr.
      console.error('calcom-simulator: unhandled error', error);
      if (!response.headersSent)
        writeJson(response, 500, errorEnvelope(500, url.pathname, 'Internal server error'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;

  return {
    url: `${origin}/v2`,
    controlUrl: `${origin}/_control`,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung (`timeout` fault) and keep-alive connections would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}
