import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, ProcessOutput } from './managed-process';
import { nodeProgram, PRODUCTION_NODE_FLAGS, REPO_ROOT, WORKER_MAIN } from './repo-root';

export interface WorkerProcessInput {
  /** WORKER_ID: the name its leases and steps carry. */
  readonly id: string;
  /** WORKER_PROJECTS: a SQL LIKE pattern of the projects it serves, so other runs on the database are left alone. */
  readonly projects: string;
  /** DATABASE_URL; this process's own when absent. */
  readonly databaseUrl?: string;
  /** Anything else for its configuration (leases, polls, LOG_LEVEL), over the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kept in memory by default. */
  readonly output?: ProcessOutput;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * The compiled worker (dist/apps/worker) in a child process, the way `npm run worker` runs it.
 * Its sweeper runs once an hour unless `env` says otherwise: a scenario that needs it asks.
 */
export class WorkerProcess extends ManagedProcess {
  readonly id: string;

  constructor(input: WorkerProcessInput) {
    const main = join(REPO_ROOT, WORKER_MAIN);
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\``);
    super({
      program: nodeProgram(WORKER_MAIN, PRODUCTION_NODE_FLAGS),
      env: {
        ...(input.databaseUrl === undefined ? {} : { DATABASE_URL: input.databaseUrl }),
        WORKER_ID: input.id,
        WORKER_PROJECTS: input.projects,
        SWEEP_INTERVAL_MS: '3600000',
        // 'worker started' is logged at info: it tells when the worker is ready.
        LOG_LEVEL: 'info',
        ...input.env,
      },
      output: input.output,
    });
    this.id = input.id;
  }

  /** Resolves once the worker logged that its loop started (at LOG_LEVEL info or below). */
  ready(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    return this.waitForOutput({ text: 'worker started', what: `worker ${this.id}`, timeoutMs });
  }
}
