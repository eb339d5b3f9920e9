/**
 * RFC 8785 (JSON Canonicalization Scheme) serializer.
 *
 * Object members are sorted by their names as arrays of UTF-16 code units, which is the order
 * JavaScript's default string comparison already uses; numbers and strings are written the way
 * ECMAScript's JSON.stringify writes them, which is what the RFC specifies. Values JSON cannot
 * carry (undefined, functions, non-finite numbers, bigint) are refused instead of silently
 * dropped, so two different inputs can never canonicalize to the same text.
 */
export class CanonicalJsonError extends Error {}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('non-finite number');
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      throw new CanonicalJsonError(`cannot canonicalize a value of type ${typeof value}`);
  }
}

function canonicalArray(items: unknown[]): string {
  return `[${items.map((item) => canonicalJson(item)).join(',')}]`;
}

function canonicalObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object).sort();
  const members: string[] = [];
  for (const key of keys) {
    members.push(`${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  }
  return `{${members.join(',')}}`;
}
