import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of a webhook call. */
export const WEBHOOK_SIGNATURE_HEADER = 'Msgpipe-Signature';

/** Hex HMAC-SHA256 of `<timestamp>.<raw body>`: the timestamp is signed, so it cannot be replaced. */
function signaturePayload(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/**
 * The `Msgpipe-Signature` value for a body, in the scheme Stripe made common:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 */
export function signWebhookBody(secret: string, body: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  return `t=${timestamp},v1=${signaturePayload(secret, timestamp, body)}`;
}

/**
 * For receivers: true when `header` is a valid signature of the raw `body` (the exact bytes
 * received, before any JSON parsing) made with `secret`, at most `toleranceSeconds` away from
 * now (which stops a captured request from being replayed later). Several `v1=` values are
 * accepted, so a sender may sign with an old and a new secret while rotating them.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (name === 't' && value !== undefined && /^\d+$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value !== undefined) signatures.push(value);
  }
  if (timestamp === undefined || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signaturePayload(secret, timestamp, body), 'utf8');
  return signatures.some((signature) => {
    const given = Buffer.from(signature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
