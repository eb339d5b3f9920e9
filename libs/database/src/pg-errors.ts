/** SQLSTATE codes the application reacts to. */
export const PgErrorCode = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  RaiseException: 'P0001',
  FeatureNotSupported: '0A000',
  /** query_canceled: statement_timeout ran out (or pg_cancel_backend). */
  QueryCanceled: '57014',
} as const;

/** The SQLSTATE of a driver error, looking through TypeORM's QueryFailedError wrapper. */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string' && /^[0-9A-Z]{5}$/.test(direct)) return direct;
  const inner = (error as { driverError?: unknown }).driverError;
  return inner === undefined ? undefined : sqlStateOf(inner);
}

/** The constraint a driver error names (a CHECK, a unique index, or a trigger's RAISE ... CONSTRAINT), looking through TypeORM's wrapper. */
export function constraintOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { constraint?: unknown }).constraint;
  if (typeof direct === 'string') return direct;
  const inner = (error as { driverError?: unknown }).driverError;
  return inner === undefined ? undefined : constraintOf(inner);
}

export function isRetryableTransactionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === PgErrorCode.SerializationFailure || state === PgErrorCode.DeadlockDetected;
}

/** Whether PostgreSQL cancelled the statement (its statement_timeout ran out), looking through TypeORM's wrapper. */
export function isStatementTimeout(error: unknown): boolean {
  return sqlStateOf(error) === PgErrorCode.QueryCanceled;
}

/** Node's socket errors that mean the server could not be reached or went away. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is shutting down, starting up or out of connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** What the driver says when a connection ends under it, or cannot be had in time. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established/i;

/**
 * Whether an error means PostgreSQL cannot be reached right now (down, restarting, the
 * connection cut), as opposed to a statement it refused. Such a request is answered 503 with
 * Retry-After; the same request later may succeed.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (UNREACHABLE.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}
