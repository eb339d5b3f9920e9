import { DomainException } from '@lib/common';

export enum DatabaseErrorCode {
  /** PostgreSQL cannot be reached now (down, restarting): retry after a moment. */
  DatabaseUnavailable = 'database_unavailable',
}

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
