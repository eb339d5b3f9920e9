import type { ConnectionOptions } from 'node:tls';
import { AppConfig, ConfigError, DatabaseSettings } from '@lib/config';

/**
 * What every connection of a process is opened with (the TypeORM pool, the LISTEN connections,
 * the migration runner): the URL, TLS, and the session timeouts PostgreSQL enforces. Spread into
 * node-postgres's Client or Pool options beside an application_name.
 */
export interface PgConnection {
  readonly connectionString: string;
  readonly ssl?: boolean | ConnectionOptions;
  readonly statement_timeout?: number;
  readonly idle_in_transaction_session_timeout?: number;
  readonly connectionTimeoutMillis?: number;
}

/** The PostgreSQL majors this release is tested on. A server below the first is refused at start. */
export const SUPPORTED_POSTGRES_MAJORS = { min: 15, max: 18 } as const;

/**
 * The connection of the process's configuration. `statementTimeout: false` for the migration
 * runner: a migration (or its wait for another process's migration lock) may take long.
 */
export function pgConnectionOf(config: AppConfig, options: { statementTimeout?: boolean } = {}): PgConnection {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: start the embedded PostgreSQL first or point it at a server');
  return pgConnection({ url: config.databaseUrl, settings: config.values.database, statementTimeout: options.statementTimeout ?? true });
}

export function pgConnection(input: { url: string; settings: DatabaseSettings; statementTimeout: boolean }): PgConnection {
  const { settings } = input;
  return {
    connectionString: input.url,
    ...(settings.ssl ? { ssl: tlsOptions(settings.ssl) } : {}),
    ...(input.statementTimeout && settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    ...(settings.idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs } : {}),
    connectionTimeoutMillis: settings.connectTimeoutMs,
  };
}

/** A URL alone (tests, tools): node-postgres's defaults, as before these settings existed. */
export function connectionOf(target: string | PgConnection): PgConnection {
  return typeof target === 'string' ? { connectionString: target } : target;
}

function tlsOptions(ssl: NonNullable<DatabaseSettings['ssl']>): boolean | ConnectionOptions {
  switch (ssl.mode) {
    case 'disable':
      return false;
    case 'require':
      // libpq's sslmode=require: encrypted, the certificate is not checked.
      return { rejectUnauthorized: false };
    case 'verify-full':
      // Node checks the chain and the host name; the CA given replaces its trusted list.
      return { rejectUnauthorized: true, ...(ssl.ca ? { ca: ssl.ca } : {}) };
  }
}

/**
 * Refuses a server older than the supported range (SHOW server_version_num: 150004 is 15.4);
 * a newer one than tested is allowed, with a warning for the caller to log.
 */
export function checkServerVersion(versionNum: number): { major: number; warning: string | null } {
  const major = Math.floor(versionNum / 10_000);
  if (!Number.isInteger(major) || major < SUPPORTED_POSTGRES_MAJORS.min) {
    throw new UnsupportedServerError(major);
  }
  return {
    major,
    warning:
      major > SUPPORTED_POSTGRES_MAJORS.max
        ? `PostgreSQL ${major} is newer than this release is tested on (${SUPPORTED_POSTGRES_MAJORS.min} to ${SUPPORTED_POSTGRES_MAJORS.max})`
        : null,
  };
}

/** The server is older than SUPPORTED_POSTGRES_MAJORS.min: the process must not start. */
export class UnsupportedServerError extends Error {
  constructor(major: number) {
    super(
      `PostgreSQL ${major} is not supported: this release needs PostgreSQL ${SUPPORTED_POSTGRES_MAJORS.min} to ${SUPPORTED_POSTGRES_MAJORS.max} (SHOW server_version_num); upgrade the server`,
    );
  }
}
