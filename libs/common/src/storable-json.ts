/**
 * What PostgreSQL text and jsonb can store, and canonical JSON can hash: no NUL, no lone UTF-16
 * surrogate, no non-finite number, and a bounded depth. Checked at the edge so such input gets a
 * 400 instead of failing in the database.
 */
export const MAX_JSON_DEPTH = 32;

export function isStorableString(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/** The path of the first value that cannot be stored, or null when all of it can. */
export function findUnstorableJson(value: unknown, path = '$', depth = 0): string | null {
  if (depth > MAX_JSON_DEPTH) return path;
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'string') return isStorableString(value) ? null : path;
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const bad = findUnstorableJson(value[index], `${path}[${index}]`, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (!isStorableString(key)) return `${path}.<key>`;
      const bad = findUnstorableJson(item, `${path}.${key}`, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  return path;
}

/** The largest value of a PostgreSQL bigint: positions (audit event ids) are bigints. */
export const MAX_BIGINT = 9223372036854775807n;

/** A position a client may pass back (`after`, Last-Event-ID): decimal digits within bigint's range. */
export function isCursor(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9]{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}
