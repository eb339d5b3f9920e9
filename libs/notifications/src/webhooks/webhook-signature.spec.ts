import { createHmac, timingSafeEqual } from 'node:crypto';
import { newWebhookSecret, signWebhook, WEBHOOK_HEADERS } from './webhook-signature';

/**
 * What a Standard Webhooks receiver does, written from the format, independently of signWebhook:
 * the key is the base64 after `whsec_`; the signed content is "<id>.<timestamp>.<body>"; the
 * header holds space-separated "v1,<base64 HMAC-SHA256>" entries, any one of which may match.
 */
function receiverAccepts(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${headers.id}.${headers.timestamp}.${body}`).digest();
  return headers.signature.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || signature === undefined) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A secret minted before the standard format: its 32 bytes in base64's URL-safe alphabet, unpadded. */
function urlSafeSecret(bytes: Buffer): string {
  return `whsec_${bytes.toString('base64url')}`;
}

describe('webhook signatures (Standard Webhooks)', () => {
  const body = JSON.stringify({ id: 'd-1', type: 'approval.requested', data: { n: 1 } });
  const id = '6f1c2a9e-0a4b-4c6d-8e2f-1a2b3c4d5e6f';

  it('the headers are the standard ones', () => {
    expect(WEBHOOK_HEADERS).toEqual({ id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' });
  });

  it("signs the Standard Webhooks reference libraries' test vector to the signature they expect", () => {
    const header = signWebhook({
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    });
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('a vector made outside this code: the key is the base64 after whsec_, not the secret as text', () => {
    // The key is the 32 ASCII bytes "0123456789abcdef0123456789abcdef" (base64: MDEy…ZWY=). Computed with
    //   printf '%s' 'msg_1.1790000000.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | base64
    // and, with the whole secret as the key (what the format is not), szhKc9QN…EvA=.
    const secret = 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
    const header = signWebhook({ secrets: [secret], id: 'msg_1', timestamp: 1_790_000_000, body: '{"a":1}' });
    expect(header).toBe('v1,EF488F7uYY4TXOBrbBX9MaAXDO4ogYB77u0x1pFO5Gk=');
    expect(header).not.toBe('v1,szhKc9QNW83X/GIKHQTHzyPi146ByyvFKgDUB9QnEvA=');
  });

  it('a receiver holding the secret accepts the body as sent, and nothing changed', () => {
    const secret = newWebhookSecret();
    const header = signWebhook({ secrets: [secret], id, timestamp: 1_790_000_000, body });
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const headers = { id, timestamp: '1790000000', signature: header };
    expect(receiverAccepts(secret, headers, body)).toBe(true);
    expect(receiverAccepts(secret, { ...headers, timestamp: '1790000001' }, body)).toBe(false);
    expect(receiverAccepts(secret, { ...headers, id: `${id}x` }, body)).toBe(false);
    expect(receiverAccepts(secret, headers, body.replace('1', '2'))).toBe(false);
    expect(receiverAccepts(newWebhookSecret(), headers, body)).toBe(false);
  });

  it('during a rotation both the new and the previous secret verify, one v1 entry each', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const header = signWebhook({ secrets: [current, previous], id, timestamp: 1_790_000_000, body });
    expect(header.split(' ')).toHaveLength(2);
    expect(header.split(' ').every((entry) => entry.startsWith('v1,'))).toBe(true);
    const headers = { id, timestamp: '1790000000', signature: header };
    expect(receiverAccepts(current, headers, body)).toBe(true);
    expect(receiverAccepts(previous, headers, body)).toBe(true);
  });

  it('a secret minted before the standard format (URL-safe base64) signs with the same 32 bytes as its standard spelling', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, n) => (n * 37 + 250) % 256));
    const old = urlSafeSecret(bytes);
    expect(old).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(old).toMatch(/[-_]/);
    const standard = `whsec_${bytes.toString('base64')}`;
    const signed = signWebhook({ secrets: [old], id, timestamp: 1_790_000_000, body });
    expect(signed).toBe(signWebhook({ secrets: [standard], id, timestamp: 1_790_000_000, body }));
    expect(receiverAccepts(standard, { id, timestamp: '1790000000', signature: signed }, body)).toBe(true);
    // What the README tells its holder: the standard spelling is the URL-safe one with - -> +, _ -> / and one '='.
    expect(
      `${old
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .replace(/^whsec\//, 'whsec_')}=`,
    ).toBe(standard);
  });

  it('secrets are 32 random bytes in standard base64, different each time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
  });
});
