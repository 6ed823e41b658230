import { createHmac } from 'node:crypto';
import { z } from 'zod';

export const webhookSendSchema = z.strictObject({
  url: z.url(),
  /** Left out: Cal.com's behaviour for a webhook without a secret, header `no-secret-provided`. */
  secret: z.string().optional(),
  triggerEvent: z.string().min(1),
  /** Optional for PING only, which then carries Cal.com's test payload. */
  payload: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.string().optional(),
});
export type WebhookSend = z.infer<typeof webhookSendSchema>;

export interface WebhookSendResult {
  status: number;
  body: string;
}

export const WEBHOOK_PAYLOAD_VERSION = '2021-10-20';

/** The payload of the "Ping test" button (docs/calcom.md, fixture webhook-ping.json). */
export function pingPayload(at: Date): Record<string, unknown> {
  const time = at.toISOString();
  const person = { timeZone: 'Europe/London', language: { locale: 'en' }, utcOffset: 0 };
  return {
    type: 'Test',
    title: 'Test trigger event',
    startTime: time,
    endTime: time,
    attendees: [{ email: 'jdoe@example.com', name: 'John Doe', ...person }],
    organizer: { name: 'Cal', email: 'no-reply@cal.com', ...person },
  };
}

/**
 * Delivers a webhook the way Cal.com's sendPayload does: compact JSON, HMAC-SHA256 over exactly the bytes
 * sent (hex, no prefix), redirects not followed. Signed here with node:crypto directly rather than with the
 * client's signer, so that a bug in the client cannot agree with itself.
 */
export async function sendWebhook(send: WebhookSend): Promise<WebhookSendResult> {
  const createdAt = send.createdAt ?? new Date().toISOString();
  const payload =
    send.payload ?? (send.triggerEvent === 'PING' ? pingPayload(new Date(createdAt)) : undefined);
  if (payload === undefined) throw new Error(`a ${send.triggerEvent} webhook needs a payload`);
  const body = JSON.stringify({ triggerEvent: send.triggerEvent, createdAt, payload });
  const signature =
    send.secret === undefined
      ? 'no-secret-provided'
      : createHmac('sha256', send.secret).update(body).digest('hex');
  const response = await fetch(send.url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/json',
      'X-Cal-Signature-256': signature,
      'X-Cal-Webhook-Version': WEBHOOK_PAYLOAD_VERSION,
    },
    body,
  });
  return { status: response.status, body: await response.text() };
}
