import { createHmac, randomBytes } from 'node:crypto';

/**
 * How a delivery is signed, so that a receiver can check it came from this service, unchanged
 * and recently:
 *
 *   X-Webhook-Id:        the delivery id (a uuid; the same on every attempt: dedupe on it)
 *   X-Webhook-Timestamp: seconds since the epoch when this attempt was signed
 *   X-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * While rotated-out secrets are still honoured (each until its own grace ends, at most five),
 * the signature header carries one `v1=` per secret, the current one first, separated by a
 * space; a receiver accepts the delivery when any one matches the secret
 * it holds (compared in constant time), and refuses a timestamp more than 5 minutes away from
 * its clock (a replay).
 */
export const WEBHOOK_HEADERS = {
  id: 'x-webhook-id',
  timestamp: 'x-webhook-timestamp',
  signature: 'x-webhook-signature',
} as const;

export function signWebhook(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`).join(' ');
}

/** A new signing secret: 32 random bytes, shown to the admin once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
