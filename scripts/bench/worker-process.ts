import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SpawnWorkerInput {
  readonly repoRoot: string;
  readonly databaseUrl: string;
  /** WORKER_ID: the name its leases and steps carry. */
  readonly id: string;
  /** WORKER_PROJECTS: a SQL LIKE pattern of the projects it serves. */
  readonly projects: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Where its stdout and stderr go (appended); discarded when absent. */
  readonly logFile?: string;
}

/** The compiled worker (dist/) in a child process, the way `npm run worker` runs it. */
export function spawnWorker(input: SpawnWorkerInput): ChildProcess {
  const logFd = input.logFile === undefined ? undefined : openSync(input.logFile, 'a');
  try {
    return spawn(
      process.execPath,
      [
        '--max-old-space-size=128',
        '-r',
        resolve(input.repoRoot, 'scripts/register-paths.js'),
        resolve(input.repoRoot, 'dist/apps/worker/src/main.js'),
      ],
      {
        cwd: input.repoRoot,
        env: {
          ...process.env,
          DATABASE_URL: input.databaseUrl,
          WORKER_ID: input.id,
          WORKER_PROJECTS: input.projects,
          LOG_LEVEL: 'warn',
          SWEEP_INTERVAL_MS: '3600000',
          ...input.env,
        },
        stdio: logFd === undefined ? 'ignore' : ['ignore', logFd, logFd],
      },
    );
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }
}
