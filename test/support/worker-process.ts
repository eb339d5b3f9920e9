import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * A real worker process (the compiled apps/worker, as `npm run worker` runs it), serving only
 * the projects that match `projects`, so the e2e suite's other runs are left alone. Its output
 * is kept, so tests can look for leaked secrets in what it logged.
 */
export class WorkerProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  private exited = false;

  constructor(input: { id: string; projects: string; env?: Record<string, string> }) {
    this.child = spawn(
      process.execPath,
      ['-r', resolve(ROOT, 'scripts/register-paths.js'), resolve(ROOT, 'dist/apps/worker/src/main.js')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          WORKER_ID: input.id,
          WORKER_PROJECTS: input.projects,
          WORKER_LEASE_MS: '1500',
          WORKER_POLL_MS: '200',
          WORKER_BACKOFF_BASE_MS: '50',
          WORKER_ABORT_GRACE_MS: '300',
          SWEEP_INTERVAL_MS: '3600000',
          LOG_LEVEL: 'info',
          ...input.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves once the worker logged that it started. */
  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.join('').includes('worker started')) {
      if (this.exited) throw new Error(`the worker exited:\n${this.output.join('')}`);
      if (Date.now() > deadline) throw new Error(`the worker did not start:\n${this.output.join('')}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  /** kill -9: no shutdown hook runs, the lease is simply left to run out. */
  kill9(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
