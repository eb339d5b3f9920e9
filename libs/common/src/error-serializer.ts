import { stdSerializers } from 'pino';

/**
 * Fields a database error carries that repeat what was written: the statement, its parameters,
 * and PostgreSQL's `detail` (a failing row, in full: for a CHECK violation on a table holding a
 * secret, the secret). A logged error keeps its message, code, constraint and stack, never these.
 */
const ROW_FIELDS = ['query', 'parameters', 'detail', 'driverError', 'where'] as const;

/** pino's `err` serializer without the fields that could carry written values. */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const field of ROW_FIELDS) delete serialized[field];
  return serialized;
}
