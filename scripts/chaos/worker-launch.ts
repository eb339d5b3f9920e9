import { statSync } from 'node:fs';
import { ExitStatus } from '../bench/api-server';
import { spawnWorker } from '../bench/worker-process';
import { tailOf } from './crash-log';
import { ManagedChild } from './supervised-process';
import { pause } from './progress';

const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

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
  // 'worker started' is logged at info: it tells when the worker is ready.
  LOG_LEVEL: 'info',
};

export interface WorkerChild extends ManagedChild {
  readonly workerId: string;
}

/** Starts one worker process (the compiled apps/worker) and resolves once it logged that its loop started. */
export async function launchWorker(input: {
  repoRoot: string;
  databaseUrl: string;
  workerId: string;
  projects: string;
  logFile: string;
}): Promise<WorkerChild> {
  const logStart = sizeOf(input.logFile);
  const child = spawnWorker({
    repoRoot: input.repoRoot,
    databaseUrl: input.databaseUrl,
    id: input.workerId,
    projects: input.projects,
    env: WORKER_ENV,
    logFile: input.logFile,
  });
  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', () => resolveExit({ code: null, signal: null }));
  });
  let exit: ExitStatus | undefined;
  void exited.then((status) => (exit = status));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const worker: WorkerChild = {
    workerId: input.workerId,
    pid: child.pid ?? -1,
    exited,
    kill9: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!tailOf(input.logFile, Math.max(0, sizeOf(input.logFile) - logStart)).includes('worker started')) {
    if (exit)
      throw new Error(`worker ${input.workerId} exited before it was ready (code ${exit.code ?? exit.signal}); see ${input.logFile}`);
    if (Date.now() > deadline) {
      await worker.kill9();
      throw new Error(`worker ${input.workerId} was not ready after ${READY_TIMEOUT_MS} ms; see ${input.logFile}`);
    }
    await pause(100);
  }
  return worker;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
