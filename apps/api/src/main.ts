import 'reflect-metadata';
import pino from 'pino';
import { ConfigError, loadConfig } from '@lib/config';
import { LOCAL_DATABASE, MigrationChangedError, resolveDatabase, runMigrations } from '@lib/database';
import { SCHEMA } from '@migrations';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from './bootstrap';
import { BootstrapAdminService } from './bootstrap-admin.service';

const log = pino({ name: 'control-plane' });

/**
 * `npm start`: with DATABASE_URL unset, an embedded PostgreSQL is started with its data in
 * ./.data/postgres; migrations are applied; the API listens on PORT (3000); and the worker
 * (expiry sweeper and execution runner) runs in the same process. On a database of its own
 * (DATABASE_URL), it refuses to start when nobody could administer it (see BootstrapAdminService).
 */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  const database = await resolveDatabase(loaded, {
    database: LOCAL_DATABASE,
    onLog: (line) => log.debug({ postgres: line.trim() }),
    onNotice: (line) => log.warn(line),
  });
  if (database.embedded) log.info({ port: loaded.values.embedded.port, data_dir: database.dataDir }, 'embedded PostgreSQL started');
  const config = loaded.withDatabaseUrl(database.url);
  let app: NestFastifyApplication;
  try {
    const report = await runMigrations(database.url, SCHEMA);
    log.info({ applied: report.applied, routines: report.routines }, 'schema up to date');

    // On the embedded database (or when asked) the worker runs in this process too.
    const withWorker = config.values.workerInProcess ?? database.embedded;
    app = await createApiApp({ withWorker, config });
    await app.init();
    if (!database.embedded) await app.get(BootstrapAdminService).assertAdministrableOrThrow();
    await app.listen({ port: config.values.port, host: config.values.host });
    log.info({ port: config.values.port }, 'API listening');
    if (withWorker) log.info('worker running in-process');
  } catch (error) {
    // The embedded server is this process's child: it must not outlive a start that failed.
    await database.stop().catch(() => undefined);
    throw error;
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // A refusal that names its cause (a bad variable, a changed migration) needs no stack trace.
  if (error instanceof ConfigError || error instanceof MigrationChangedError) log.fatal(`failed to start: ${error.message}`);
  else log.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
