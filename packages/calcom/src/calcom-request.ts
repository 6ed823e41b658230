import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { errorMessageFromBody, successEnvelopeSchema } from './api-envelope.js';
import { type CalcomError, calcomFailure, failureKindForStatus } from './calcom-failure.js';
import { clampTimerDelay } from './rate-limit-delay.js';
import { rateLimitWait } from './rate-limit-headers.js';
import type { RateLimiter } from './rate-limiter.js';
import { parseStorableJson } from './storable-answer.js';

/** Sent on every call: harmless on team routes, required on user routes (docs/calcom.md). */
export const CALCOM_API_VERSION = '2024-06-14';

export interface CalcomConnection {
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  limiter: RateLimiter;
  fetch: typeof fetch;
}

export interface CalcomAnswer {
  status: number;
  /** The `data` of the success envelope, not yet validated. */
  data: unknown;
}

export interface CalcomCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

class RequestTimeout extends Error {}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return `network error: ${String(error)}`;
  // undici reports "fetch failed" and keeps the useful part (ECONNRESET, "other side closed") in `cause`.
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `network error: ${error.message} (${cause.message}${typeof code === 'string' ? `, ${code}` : ''})`;
  }
  return `network error: ${error.message}`;
}

function interpret(
  response: Response,
  text: string,
  limiter: RateLimiter,
): Result<CalcomAnswer, CalcomError> {
  const { status } = response;
  // Text Cal.com holds is made storable before any schema reads it (docs/limits.md).
  const parsed = parseStorableJson(text);
  if (parsed.isErr() && parsed.error !== 'not_json')
    return err(
      calcomFailure(
        'transient',
        `Cal.com answered ${status} with more than ${parsed.error.maxNodes} values`,
        status,
      ),
    );
  const body = parsed.isOk() ? parsed.value : undefined;
  if (status >= 200 && status < 300) {
    const envelope = successEnvelopeSchema.safeParse(body);
    if (envelope.success) return ok({ status, data: envelope.data.data });
    return err(calcomFailure('transient', `Cal.com answered ${status} without a success envelope`, status));
  }
  const kind = failureKindForStatus(status);
  const message = errorMessageFromBody(body, status, response.statusText);
  if (kind !== 'rate_limited') return err(calcomFailure(kind, message, status));
  const wait = rateLimitWait(response.headers, limiter.resetBounds());
  return err({ ...calcomFailure(kind, message, status, wait.waitMs), rateLimitWait: wait });
}

async function attempt(
  connection: CalcomConnection,
  call: CalcomCall,
): Promise<Result<CalcomAnswer, CalcomError>> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new RequestTimeout()),
    clampTimerDelay(connection.timeoutMs, 10_000),
  );
  try {
    const headers: Record<string, string> = {
      authorization: `Bearer ${connection.apiKey}`,
      'cal-api-version': CALCOM_API_VERSION,
      accept: 'application/json',
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const response = await connection.fetch(`${connection.apiUrl.replace(/\/+$/, '')}${call.path}`, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: controller.signal,
    });
    // The body is read under the same deadline: a server that sends headers and then stalls is a timeout too.
    const text = await response.text();
    connection.limiter.observe(response.headers);
    const result = interpret(response, text, connection.limiter);
    if (result.isErr() && result.error.retryAfterMs !== null)
      connection.limiter.pauseFor(result.error.retryAfterMs, result.error.rateLimitWait);
    return result;
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof RequestTimeout) {
      return err(calcomFailure('transient', `request timed out after ${connection.timeoutMs} ms`));
    }
    return err(calcomFailure('transient', describeNetworkError(error)));
  } finally {
    clearTimeout(timer);
  }
}

/** One HTTP exchange with Cal.com through the key's limiter. Never rejects: every failure is a value. */
export function sendCalcomRequest(
  connection: CalcomConnection,
  call: CalcomCall,
): ResultAsync<CalcomAnswer, CalcomError> {
  return new ResultAsync(connection.limiter.run(() => attempt(connection, call)));
}
