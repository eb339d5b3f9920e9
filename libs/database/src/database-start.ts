import { Client } from 'pg';
import { AppConfig } from '@lib/config';
import { MigrationReport, runMigrations, SchemaBehindError, schemaStatus } from './migration-runner';
import { checkServerVersion, PgConnection, pgConnectionOf } from './pg-connection';
import { SchemaPlan } from './schema-plan';

export interface DatabaseStartReport {
  readonly serverMajor: number;
  /** A newer server than tested, for the caller to log. */
  readonly warning: string | null;
  /** What was applied; null when MIGRATIONS_RUN=false (the schema was found current). */
  readonly migrations: MigrationReport | null;
}

/**
 * What the API and a worker do with the database before they serve: refuse a server older than
 * the supported range (UnsupportedServerError), then bring the schema forward, or, with
 * MIGRATIONS_RUN=false, refuse a schema that is behind (SchemaBehindError).
 */
export async function prepareDatabase(config: AppConfig, plan: SchemaPlan): Promise<DatabaseStartReport> {
  const connection = pgConnectionOf(config, { statementTimeout: false });
  const { major, warning } = checkServerVersion(await serverVersionNum(connection));
  if (!config.values.database.migrationsRun) {
    const status = await schemaStatus(connection, plan);
    if (status.pendingMigrations.length > 0 || status.staleRoutines.length > 0) throw new SchemaBehindError(status);
    return { serverMajor: major, warning, migrations: null };
  }
  return { serverMajor: major, warning, migrations: await runMigrations(connection, plan) };
}

async function serverVersionNum(connection: PgConnection): Promise<number> {
  const client = new Client({ ...connection, application_name: 'control-plane-start' });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    return Number(rows[0].server_version_num);
  } finally {
    await client.end();
  }
}
