import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '@lib/database';
import { ApiProcess, CleanupStack, createMigratedDatabase, PostgresProcess, WorkerProcess } from '@tools/harness';
import { CrashLog } from './crash-log';
import { DatabaseSwitch } from './database-switch';
import { progress } from './progress';
import { SupervisedProcess } from './supervised-process';

/**
 * Short leases and polls, so a worker killed with -9 is noticed in seconds rather than the
 * production 15 s, and the campaign sees the reaper and the retry within its time.
 */
const WORKER_ENV: Readonly<Record<string, string>> = {
  WORKER_LEASE_MS: '3000',
  WORKER_POLL_MS: '250',
  WORKER_BACKOFF_BASE_MS: '200',
  WORKER_ABORT_GRACE_MS: '500',
  WORKER_CONCURRENCY: '8',
  SWEEP_INTERVAL_MS: '1000',
  DB_POOL_SIZE: '5',
};

/** The stack under test: an embedded PostgreSQL the campaign owns, the API and the workers as child processes. */
export interface ChaosStack {
  readonly databaseUrl: string;
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly logDir: string;
  readonly apiLogFile: string;
  readonly postgres: PostgresProcess;
  readonly database: DatabaseSwitch;
  readonly api: SupervisedProcess<ApiProcess>;
  readonly workers: SupervisedProcess<WorkerProcess>[];
  readonly crashes: CrashLog;
}

/**
 * Starts everything, registering each teardown with `cleanup` as soon as the thing exists.
 * The log directory is the caller's to keep or remove; the data directory is always removed.
 */
export async function startChaosStack(input: {
  cleanup: CleanupStack;
  logDir: string;
  workerCount: number;
  interrupted: () => boolean;
}): Promise<ChaosStack> {
  const { cleanup, logDir } = input;
  const dataRoot = mkdtempSync(join(tmpdir(), 'cp-chaos-data-'));
  // As root the server runs as the postgres user, which must reach its data directory in here.
  chmodSync(dataRoot, 0o755);
  cleanup.defer('remove the PostgreSQL data directory', async () => rmSync(dataRoot, { recursive: true, force: true }));
  progress('starting an embedded PostgreSQL (in a child process, so it can be stopped and started)');
  const postgres = new PostgresProcess({ dataDir: join(dataRoot, 'pg'), port: await freePort(), logFile: join(logDir, 'postgres.log') });
  cleanup.defer('stop the embedded PostgreSQL', () => postgres.exit());
  const serverUrl = await postgres.start();
  const realDataDir = postgres.dataDir;
  if (realDataDir && !realDataDir.startsWith(dataRoot)) {
    cleanup.defer('remove the relocated data directory', async () => rmSync(realDataDir, { recursive: true, force: true }));
  }

  const { name, url: databaseUrl } = await createMigratedDatabase({ serverUrl, prefix: 'cp_chaos' });
  progress(`database ${name}: migrations applied`);

  const crashes = new CrashLog();
  const database = new DatabaseSwitch();
  const databaseUp = () => database.whenUp();
  const { interrupted } = input;
  const apiLogFile = join(logDir, 'api.log');
  const apiPort = await freePort();
  const adminKey = `chaos-admin-${randomBytes(24).toString('hex')}`;
  const api = new SupervisedProcess<ApiProcess>({
    name: 'api',
    logFile: apiLogFile,
    crashes,
    databaseUp,
    interrupted,
    launch: () => ApiProcess.start({ databaseUrl, port: apiPort, adminKey, logFile: apiLogFile }),
  });
  progress('starting the API');
  cleanup.defer('stop the API', () => api.stop());
  const server = await api.start();

  const workers = Array.from({ length: input.workerCount }, (_, index) => {
    const logFile = join(logDir, `worker-${index + 1}.log`);
    return new SupervisedProcess<WorkerProcess>({
      name: `worker-${index + 1}`,
      logFile,
      crashes,
      databaseUp,
      interrupted,
      // A replacement gets a new WORKER_ID, as a new pod would.
      launch: async (generation) => {
        const worker = new WorkerProcess({
          databaseUrl,
          id: `chaos-w${index + 1}-g${generation}`,
          projects: '%',
          env: WORKER_ENV,
          output: { logFile },
        });
        await worker.ready();
        return worker;
      },
    });
  });
  progress(`starting ${workers.length} worker processes`);
  for (const worker of workers) cleanup.defer(`stop ${worker.name}`, () => worker.stop());
  await Promise.all(workers.map((worker) => worker.start()));
  return { databaseUrl, baseUrl: server.baseUrl, adminKey, logDir, apiLogFile, postgres, database, api, workers, crashes };
}
