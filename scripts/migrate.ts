import 'reflect-metadata';
import { ConfigError, loadConfig } from '@lib/config';
import { pgConnectionOf, runMigrations } from '@lib/database';
import { SCHEMA } from '@migrations';

/**
 * `npm run migrate`: brings the database named by DATABASE_URL forward (the API and the worker
 * do the same at start, unless MIGRATIONS_RUN=false). Refuses, naming the file, when a landed migration has changed.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL must name the database to migrate');
  // The configuration's TLS and connect timeout; no statement timeout (a migration may take long).
  const report = await runMigrations(pgConnectionOf(config, { statementTimeout: false }), SCHEMA);
  process.stdout.write(`${JSON.stringify({ migrations_applied: report.applied, routines_applied: report.routines })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
