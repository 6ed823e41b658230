import { createHmac, timingSafeEqual } from 'node:crypto';

/** What Cal.com puts in `X-Cal-Signature-256` when the webhook has no secret (docs/calcom.md). */
export const UNSIGNED_SIGNATURE = 'no-secret-provided';

/**
 * - `valid`: the header is the HMAC of exactly these bytes under `secret`;
 * - `missing`: no header at all;
 * - `unsigned`: Cal.com said it had no secret, so nothing vouches for the body;
 * - `invalid`: anything else.
 */
export type WebhookSignatureVerdict = 'valid' | 'missing' | 'unsigned' | 'invalid';

function bytesOf(rawBody: Uint8Array | string): Uint8Array {
  return typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
}

/** Cal.com's signature: lowercase hex HMAC-SHA256 of the raw body bytes, no `sha256=` prefix. */
export function signWebhookBody(rawBody: Uint8Array | string, secret: string): string {
  return createHmac('sha256', secret).update(bytesOf(rawBody)).digest('hex');
}

const hexDigest = /^[0-9a-f]{64}$/i;

/**
 * Verifies over the bytes as received: re-serialising parsed JSON would change them. The comparison is
 * constant-time over the 32 digest bytes.
 */
export function verifyWebhookSignature(
  rawBody: Uint8Array | string,
  header: string | undefined,
  secret: string,
): WebhookSignatureVerdict {
  if (header === undefined || header.trim() === '') return 'missing';
  const presented = header.trim();
  if (presented === UNSIGNED_SIGNATURE) return 'unsigned';
  if (!hexDigest.test(presented)) return 'invalid';
  const expected = createHmac('sha256', secret).update(bytesOf(rawBody)).digest();
  return timingSafeEqual(expected, Buffer.from(presented, 'hex')) ? 'valid' : 'invalid';
}
