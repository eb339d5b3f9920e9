import { DomainException } from '@lib/common';

export enum DatabaseErrorCode {
  /** PostgreSQL cannot be reached now (down, restarting): retry after a moment. */
  DatabaseUnavailable = 'database_unavailable',
  /** A statement ran past DB_STATEMENT_TIMEOUT_MS and PostgreSQL cancelled it (nothing of it was kept). */
  DatabaseTimeout = 'database_timeout',
}

/**
 * The HTTP status each code is answered with, beside the codes: a new code without one fails to
 * compile. The API's error filter reads every lib's table.
 */
export const DATABASE_ERROR_STATUS: Readonly<Record<DatabaseErrorCode, number>> = {
  [DatabaseErrorCode.DatabaseUnavailable]: 503,
  [DatabaseErrorCode.DatabaseTimeout]: 503,
};

declare module '@lib/common' {
  interface ErrorCodeRegistry {
    database: DatabaseErrorCode;
  }
}

export class DatabaseException extends DomainException<DatabaseErrorCode> {}

/** How long a client should wait before trying again, in seconds (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 2;

export function databaseUnavailable(): DatabaseException {
  return new DatabaseException(DatabaseErrorCode.DatabaseUnavailable, 'the database cannot be reached right now; retry shortly', {
    retry_after_seconds: RETRY_AFTER_SECONDS,
  });
}

export function databaseTimeout(): DatabaseException {
  return new DatabaseException(
    DatabaseErrorCode.DatabaseTimeout,
    'the database did not finish in time (the statement timeout cancelled it; nothing was changed); retry shortly',
    { retry_after_seconds: RETRY_AFTER_SECONDS },
  );
}
