import 'reflect-metadata';
import { resolve } from 'node:path';
import pino from 'pino';
import { resolveDatabase, runMigrations } from '@lib/database';
import { createApiApp } from './bootstrap';

const log = pino({ name: 'control-plane' });

/**
 * `npm start`: with DATABASE_URL unset, an embedded PostgreSQL is started with its data in
 * ./.data/postgres; migrations are applied; the API listens on PORT (3000); and the worker
 * (expiry sweeper and execution runner) runs in the same process.
 */
async function main(): Promise<void> {
  const database = await resolveDatabase(process.env, {
    dataDir: resolve(process.env.EMBEDDED_PG_DATA_DIR ?? '.data/postgres'),
    port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
    database: 'control_plane',
    onLog: (line) => log.debug({ postgres: line.trim() }),
  });
  if (database.embedded) log.info({ port: process.env.EMBEDDED_PG_PORT ?? 54329 }, 'embedded PostgreSQL started');
  process.env.DATABASE_URL = database.url;

  const report = await runMigrations(database.url);
  log.info({ applied: report.applied }, 'migrations applied');

  // On the embedded database (or when asked) the worker runs in this process too.
  const withWorker = (process.env.WORKER_IN_PROCESS ?? (database.embedded ? 'true' : 'false')) === 'true';
  const app = await createApiApp({ withWorker });
  const port = Number(process.env.PORT ?? 3000);
  await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' });
  log.info({ port }, 'API listening');
  if (withWorker) log.info('worker running in-process');

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
  log.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
