import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** Bounds one request of the load: a server that stops answering fails the run, never hangs it. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Bounds a response body read into memory. */
const MAX_BODY_BYTES = 1_000_000;

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * Keep-alive HTTP/1.1 to a set of calsync instances through node:http (lighter than fetch, so
 * that the load generator, which shares the machine's cores with the servers, takes less of
 * them). One agent per instance.
 */
export class InstanceClients {
  readonly #agents: http.Agent[];

  constructor(
    readonly urls: readonly string[],
    connections: number,
    private readonly headers: Record<string, string>,
  ) {
    this.#agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: connections }));
  }

  request(instance: number, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const url = new URL(path, this.urls[instance]);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method,
          agent: this.#agents[instance],
          headers: {
            ...this.headers,
            ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload).toString() }),
          },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in time`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    for (const agent of this.#agents) agent.destroy();
  }
}

export interface LoadResult {
  edits: number;
  seconds: number;
  failures: number;
  firstFailure: string;
  /** Edits each instance answered. */
  perInstance: number[];
}

/**
 * `clients` concurrent connections, each editing its own services in turn (no two clients race
 * for one stream) until `seconds` have passed; each request goes to the next instance in
 * round-robin order. An edit counts when answered 200, i.e. once it is durable.
 */
export async function editLoad(
  clients: InstanceClients,
  connections: number,
  serviceIds: readonly string[],
  seconds: number,
): Promise<LoadResult> {
  const instances = clients.urls.length;
  const perInstance = clients.urls.map(() => 0);
  let next = 0;
  let edits = 0;
  let failures = 0;
  let firstFailure = '';
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, client) => {
      const own = serviceIds.filter((_, index) => index % connections === client);
      for (let n = 0; performance.now() < deadline; n++) {
        const id = own[n % own.length] ?? serviceIds[0];
        const instance = next++ % instances;
        const answer = await clients.request(instance, 'PATCH', `/v1/services/${id}`, {
          description: `edit ${client}-${n}`,
        });
        if (answer.status === 200) {
          edits++;
          perInstance[instance] = (perInstance[instance] ?? 0) + 1;
        } else {
          failures++;
          firstFailure ||= `${answer.status} ${answer.text.slice(0, 300)}`;
        }
      }
    }),
  );
  return { edits, seconds: (performance.now() - started) / 1000, failures, firstFailure, perInstance };
}
