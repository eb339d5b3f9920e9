import { SECRET_MASKER, SecretMasker } from '@lib/common';
import { capResult, mask, storedBytes } from './run-result';

describe('results and errors that are stored', () => {
  it('keeps a result under 10 KiB as it is, as PostgreSQL will print it', () => {
    const small = { steps: 2, results: [{ ok: true }, { ok: false }] };
    expect(capResult(small)).toEqual(small);
    // jsonb prints ", " and ": " separators; the measure must count them.
    expect(storedBytes({ a: [1, 2] })).toBe('{"a": [1, 2]}'.length);
  });

  it('truncates a larger result with a marker instead of rejecting it', () => {
    const large = { rows: Array.from({ length: 5000 }, (_, index) => ({ index, name: `row-${index}` })) };
    const capped = capResult(large) as { truncated: boolean; original_bytes: number; preview: string };
    expect(capped.truncated).toBe(true);
    expect(capped.original_bytes).toBeGreaterThan(10 * 1024);
    expect(storedBytes(capped)).toBeLessThanOrEqual(10 * 1024);
  });

  it('redacts every registered secret from errors and results', () => {
    const secret = `tok-${Math.random().toString(36).slice(2)}-abcdef`;
    SECRET_MASKER.register(secret);
    expect(mask(`call failed with Authorization: Bearer ${secret}`)).toBe(
      `call failed with Authorization: Bearer ${SecretMasker.REDACTED}`,
    );
    expect(JSON.stringify(capResult({ echoed: { [secret]: secret } }))).not.toContain(secret);
  });
});
