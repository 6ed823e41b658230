import type { AuditEntry, ServiceView } from '@calsync/domain';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or null when the body is empty or not JSON. */
  body: T;
  text: string;
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

export interface RequestOptions {
  /** Serialised as JSON with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is, with `contentType` (for bodies that are not JSON, or not valid JSON). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Overrides the client's bearer token for this request; null sends no Authorization header. */
  token?: string | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next: string | null;
}

/** A thin HTTP client of calsync's public contract (docs/http-contract.md), acting as one company's bearer token. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
  ) {}

  as(token: string | null): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.raw !== undefined) {
      body = options.raw;
      if (options.contentType) headers['content-type'] = options.contentType;
    }
    return readResponse<T>(await fetch(`${this.baseUrl}${path}`, { method, headers, body }));
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, json === undefined ? options : { ...options, json });
  }

  patch<T = unknown>(path: string, json: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, json });
  }

  /** Registers a service and returns its view; fails the test unless the server answers 201. */
  async register(body: Record<string, unknown>): Promise<ServiceView> {
    return expectStatus(await this.post<ServiceView>('/v1/services', body), 201);
  }

  async service(serviceId: string): Promise<ServiceView> {
    return expectStatus(await this.get<ServiceView>(`/v1/services/${serviceId}`), 200);
  }

  async edit(serviceId: string, patch: Record<string, unknown>): Promise<ServiceView> {
    return expectStatus(await this.patch<ServiceView>(`/v1/services/${serviceId}`, patch), 200);
  }

  async link(serviceId: string, eventTypeId: number): Promise<ServiceView> {
    return expectStatus(await this.post<ServiceView>(`/v1/services/${serviceId}/link`, { eventTypeId }), 200);
  }

  /** Every service the listing holds, following `next` page by page (at most 1,000 pages). */
  async services(query = ''): Promise<ServiceView[]> {
    const items: ServiceView[] = [];
    const separator = query === '' ? '?' : '&';
    let after: string | null = null;
    for (let page = 0; page < 1_000; page++) {
      const path: string =
        after === null
          ? `/v1/services${query}`
          : `/v1/services${query}${separator}after=${encodeURIComponent(after)}`;
      const body = expectStatus(await this.get<{ items: ServiceView[]; next: string | null }>(path), 200);
      items.push(...body.items);
      after = body.next;
      if (after === null) return items;
    }
    throw new Error('GET /v1/services kept answering another page: 1,000 pages and no end');
  }

  async serviceAudit(serviceId: string): Promise<AuditEntry[]> {
    return expectStatus(await this.get<{ items: AuditEntry[] }>(`/v1/services/${serviceId}/audit`), 200)
      .items;
  }

  /** The company's whole audit feed, every page followed. */
  async companyAudit(): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? '?limit=500' : `?limit=500&after=${encodeURIComponent(after)}`;
      const page: AuditPage = expectStatus(await this.get<AuditPage>(`/v1/audit${query}`), 200);
      entries.push(...page.items);
      after = page.next;
    } while (after !== null);
    return entries;
  }
}

/** Reads a fetch response whole; a body that is not JSON leaves `body` null (its `text` stays). */
export async function readResponse<T = unknown>(response: Response): Promise<ApiResponse<T>> {
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** The body of a response that must have this status; otherwise an error showing what came instead. */
export function expectStatus<T>(response: ApiResponse<T>, status: number): T {
  if (response.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 500)}`);
  }
  return response.body;
}

/**
 * The error of a response that must be docs/http-contract.md's envelope `{error:{code,message,details?}}` with this
 * status and code, and nothing else beside it (a 5xx adds `requestId`).
 */
/** The keys an error body may have: a 5xx carries the request id instead of details. */
export const errorKeys = (status: number): string[] =>
  status >= 500 ? ['code', 'message', 'requestId'] : ['code', 'message', 'details'];

export function expectError(response: ApiResponse, status: number, code: string): ErrorEnvelope['error'] {
  const body = expectStatus(response, status) as ErrorEnvelope;
  if (
    typeof body !== 'object' ||
    body === null ||
    Object.keys(body).join() !== 'error' ||
    typeof body.error?.message !== 'string' ||
    body.error.message.length === 0 ||
    Object.keys(body.error).some((key) => !errorKeys(status).includes(key))
  ) {
    throw new Error(`not the error envelope of docs/http-contract.md: ${response.text.slice(0, 500)}`);
  }
  if (body.error.code !== code) {
    throw new Error(`expected error code ${code}, got ${body.error.code}: ${body.error.message}`);
  }
  return body.error;
}
