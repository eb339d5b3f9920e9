/** SQLSTATE codes the application reacts to. */
export const PgErrorCode = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  RaiseException: 'P0001',
} as const;

/** The SQLSTATE of a driver error, looking through TypeORM's QueryFailedError wrapper. */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string' && /^[0-9A-Z]{5}$/.test(direct)) return direct;
  const inner = (error as { driverError?: unknown }).driverError;
  return inner === undefined ? undefined : sqlStateOf(inner);
}

export function isRetryableTransactionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === PgErrorCode.SerializationFailure || state === PgErrorCode.DeadlockDetected;
}
