import 'reflect-metadata';
import pino from 'pino';
import { ConfigError, loadConfig } from '@lib/config';
import {
  isLocalDatabase,
  LOCAL_DATABASE,
  MigrationChangedError,
  prepareDatabase,
  resolveDatabase,
  SchemaBehindError,
  UnsupportedServerError,
} from '@lib/database';
import { SCHEMA } from '@migrations';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from './bootstrap';
import { BootstrapAdminService } from './bootstrap-admin.service';

const log = pino({ name: 'control-plane' });

/**
 * `npm start`: with DATABASE_URL unset, an embedded PostgreSQL is started with its data in
 * ./.data/postgres; a server older than PostgreSQL 15 is refused; migrations are applied (or,
 * with MIGRATIONS_RUN=false, a schema that is behind is refused); the API listens on PORT (3000); and the worker
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
    const prepared = await prepareDatabase(config, SCHEMA);
    if (prepared.warning) log.warn(prepared.warning);
    if (prepared.migrations) {
      log.info(
        { postgres: prepared.serverMajor, applied: prepared.migrations.applied, routines: prepared.migrations.routines },
        'schema up to date',
      );
    } else log.info({ postgres: prepared.serverMajor }, 'schema up to date (MIGRATIONS_RUN=false: checked, not migrated)');

    // On the embedded database (or when asked) the worker runs in this process too.
    const withWorker = config.values.workerInProcess ?? database.embedded;
    app = await createApiApp({ withWorker, config });
    await app.init();
    // A local install (npm start's embedded database, or the development loop's) needs no key to start.
    if (!database.embedded && !isLocalDatabase(config, database.url)) await app.get(BootstrapAdminService).assertAdministrableOrThrow();
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

function refusal(error: unknown): error is Error {
  return [ConfigError, MigrationChangedError, SchemaBehindError, UnsupportedServerError].some((type) => error instanceof type);
}

main().catch((error: unknown) => {
  // A refusal that names its cause (a bad variable, a changed migration) needs no stack trace.
  if (refusal(error)) log.fatal(`failed to start: ${error.message}`);
  else log.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
