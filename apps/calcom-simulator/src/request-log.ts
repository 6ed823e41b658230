/** One request the simulated API received, as a test would want to assert on it. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string, e.g. `/v2/teams/42/event-types?sortCreatedAt=asc`. */
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body when it was JSON, the raw text otherwise, null when empty. */
  body: unknown;
  /** null when the simulator answered nothing (a dropped connection or a hung request). */
  status: number | null;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

export interface RequestLog {
  record(request: RecordedRequest): void;
  all(): RecordedRequest[];
  clear(): void;
}

export function createRequestLog(): RequestLog {
  let requests: RecordedRequest[] = [];
  return {
    record(request) {
      requests.push(request);
    },
    all() {
      return [...requests];
    },
    clear() {
      requests = [];
    },
  };
}
