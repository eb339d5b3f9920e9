import { serializeError } from './error-serializer';

describe('serializeError', () => {
  it("drops a database error's statement, parameters and failing row, and keeps what names the fault", () => {
    const error = Object.assign(new Error('new row for relation "webhook_subscriptions" violates check constraint'), {
      code: '23514',
      constraint: 'webhook_subscriptions_description_check',
      query: 'UPDATE webhook_subscriptions SET …',
      parameters: ['whsec_secret-value'],
      detail: 'Failing row contains (…, whsec_secret-value, …)',
      driverError: { detail: 'whsec_secret-value' },
    });
    const serialized = serializeError(error) as Record<string, unknown>;
    expect(JSON.stringify(serialized)).not.toContain('whsec_secret-value');
    expect(serialized).toMatchObject({ code: '23514', constraint: 'webhook_subscriptions_description_check', type: 'Error' });
    expect(String(serialized.stack)).toContain('violates check constraint');
  });

  it('leaves anything that is not an Error as it is', () => {
    expect(serializeError('text')).toBe('text');
  });
});
