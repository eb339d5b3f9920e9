import { createHmac, randomBytes } from 'node:crypto';

/**
 * How a delivery is signed: the Standard Webhooks format (its symmetric `v1` scheme), so that a
 * receiver checks it came from this service, unchanged and recently, with any library made for
 * that format or a few lines of its own:
 *
 *   webhook-id:        the delivery id (a uuid; the same on every attempt: dedupe on it)
 *   webhook-timestamp: seconds since the epoch when this attempt was signed
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")>
 *
 * The key is what follows `whsec_` in the secret, base64-decoded: 32 random bytes. Secrets
 * minted before this format wrote those bytes in base64's URL-safe alphabet (`-` and `_` for `+`
 * and `/`, no padding); they are decoded the same way, so they keep their 32 bytes (a receiver's
 * library that wants the standard alphabet is given the secret with `-`→`+`, `_`→`/` and one `=`).
 *
 * While rotated-out secrets are still honoured (each until its own grace ends, at most five), the
 * signature header carries one `v1,` entry per secret, the current one first, separated by a
 * space; a receiver accepts the delivery when any one matches the secret it holds (compared in
 * constant time), and refuses a timestamp more than 5 minutes away from its clock (a replay).
 */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';

export function signWebhook(input: { secrets: readonly string[]; id: string; timestamp: number; body: string }): string {
  const content = `${input.id}.${input.timestamp}.${input.body}`;
  return input.secrets.map((secret) => `v1,${createHmac('sha256', signingKeyOf(secret)).update(content).digest('base64')}`).join(' ');
}

/** The HMAC key of a secret: its base64 part decoded (Node reads both the standard and the URL-safe alphabet). */
function signingKeyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** A new signing secret: 32 random bytes in standard base64 behind `whsec_`, shown to the admin once. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}
