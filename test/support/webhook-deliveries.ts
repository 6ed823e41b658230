import { createHmac } from 'node:crypto';
import { type ApiResponse, readResponse } from './api-client.js';

/** Cal.com's signature of a delivery: hex HMAC-SHA256 of exactly the bytes sent, no prefix. */
export function signatureOf(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** A delivery body as Cal.com writes it: compact JSON of `{triggerEvent, createdAt, payload}`. */
export function deliveryBody(
  triggerEvent: string,
  payload: Record<string, unknown>,
  createdAt = '2026-01-15T10:00:00.000Z',
): string {
  return JSON.stringify({ triggerEvent, createdAt, payload });
}

/**
 * Posts raw bytes to a webhook URL with the given X-Cal-Signature-256 (left out when undefined),
 * for deliveries the simulator would not send: wrong signatures, malformed or oversized bodies.
 */
export async function postWebhook(
  url: string,
  rawBody: string | Buffer,
  signature: string | undefined,
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== undefined) headers['x-cal-signature-256'] = signature;
  return readResponse(await fetch(url, { method: 'POST', headers, body: rawBody }));
}
