import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { ConfigError, loadConfig } from '@lib/config';
import { MigrationChangedError, prepareDatabase, SchemaBehindError, UnsupportedServerError } from '@lib/database';
import { SCHEMA } from '@migrations';
import { WorkerModule } from './worker.module';

const log = pino({ name: 'control-plane-worker' });

/** `npm run worker`: the sweeper and the execution loop as their own process, against DATABASE_URL. Several may run at once. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.databaseUrl) {
    throw new ConfigError('DATABASE_URL must be set for a separate worker (npm start runs one beside the API on the embedded database)');
  }
  const prepared = await prepareDatabase(config, SCHEMA);
  if (prepared.warning) log.warn(prepared.warning);
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  const stop = async (signal: string) => {
    log.info({ signal }, 'worker shutting down');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  log.info('worker running');
}

main().catch((error: unknown) => {
  // A refusal that names its cause (a bad variable, a changed migration) needs no stack trace.
  if ([ConfigError, MigrationChangedError, SchemaBehindError, UnsupportedServerError].some((type) => error instanceof type))
    log.fatal(`worker failed to start: ${(error as Error).message}`);
  else log.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
});
