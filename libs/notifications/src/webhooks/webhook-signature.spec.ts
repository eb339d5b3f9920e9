import { createHmac, timingSafeEqual } from 'node:crypto';
import { newWebhookSecret, signWebhook } from './webhook-signature';

/** What the README tells a receiver to do, written independently of signWebhook. */
function receiverAccepts(secret: string, header: string, timestamp: string, body: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'));
  return header.split(' ').some((part) => {
    const given = Buffer.from(part.replace(/^v1=/, ''));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'd-1', type: 'approval.requested', data: { n: 1 } });

  it('a receiver holding the secret accepts the body as sent, and nothing changed', () => {
    const secret = newWebhookSecret();
    const header = signWebhook([secret], 1_790_000_000, body);
    expect(header).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(receiverAccepts(secret, header, '1790000000', body)).toBe(true);
    expect(receiverAccepts(secret, header, '1790000001', body)).toBe(false);
    expect(receiverAccepts(secret, header, '1790000000', body.replace('1', '2'))).toBe(false);
    expect(receiverAccepts(newWebhookSecret(), header, '1790000000', body)).toBe(false);
  });

  it('during a rotation both the new and the previous secret verify', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const header = signWebhook([current, previous], 1_790_000_000, body);
    expect(header.split(' ')).toHaveLength(2);
    expect(receiverAccepts(current, header, '1790000000', body)).toBe(true);
    expect(receiverAccepts(previous, header, '1790000000', body)).toBe(true);
  });

  it('secrets are long and different each time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(40);
  });
});
