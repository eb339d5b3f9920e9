import { SECRET_MASKER } from '@lib/common';

const RESULT_CAP_BYTES = 10 * 1024;

/** Errors and results never carry a resolved secret; an error is stored up to 2,000 characters. */
export function mask(text: string): string {
  return SECRET_MASKER.mask(text).slice(0, 2000);
}

/** A result over 10 KiB is truncated with a marker, never rejected after the work is done. */
export function capResult(result: unknown): unknown {
  const masked = SECRET_MASKER.maskJson(result ?? null);
  if (storedBytes(masked) <= RESULT_CAP_BYTES - 64) return masked;
  const text = JSON.stringify(masked);
  // The preview is stored as a JSON string, where escaping can double it; 4 KiB stays under the cap.
  const preview = Buffer.from(text, 'utf8')
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { truncated: true, original_bytes: Buffer.byteLength(text, 'utf8'), preview };
}

/** Bytes of the value as PostgreSQL prints jsonb (which the CHECK measures): ", " and ": " separators. */
export function storedBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  if (Array.isArray(value)) return 2 + value.reduce<number>((sum, item, index) => sum + storedBytes(item) + (index > 0 ? 2 : 0), 0);
  return (
    2 +
    Object.entries(value as Record<string, unknown>).reduce(
      (sum, [key, item], index) => sum + Buffer.byteLength(JSON.stringify(key), 'utf8') + 2 + storedBytes(item) + (index > 0 ? 2 : 0),
      0,
    )
  );
}

/** Exponential backoff with full jitter between half and one and a half times the step, capped at a minute. */
export function backoffMs(attempt: number, baseMs: number): number {
  const step = Math.min(60_000, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + Math.random()));
}
