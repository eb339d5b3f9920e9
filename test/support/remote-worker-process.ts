import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** Whether python3 can be run here (the Python worker's tests are skipped, and say so, where it cannot). */
export const PYTHON3 = spawnSync('python3', ['--version']).status === 0;

/**
 * A user's remote worker, as a real process: the TypeScript example (examples/workers, on the
 * SDK's createWorker) or the Python one (standard library only). Its output is kept, so tests can
 * look for leaked secrets in it.
 */
export class RemoteWorkerProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  private exited = false;

  constructor(input: { language: 'typescript' | 'python'; baseUrl: string; key: string; actions: string[]; env?: Record<string, string> }) {
    const [command, args] =
      input.language === 'python'
        ? ['python3', [resolve(ROOT, 'examples/workers/deploy_worker.py')]]
        : [process.execPath, ['-r', resolve(ROOT, 'scripts/register-paths.js'), resolve(ROOT, 'dist/examples/workers/deploy-worker.js')]];
    this.child = spawn(command, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        CONTROL_PLANE_URL: input.baseUrl,
        CONTROL_PLANE_CREDENTIAL: input.key,
        WORKER_ACTIONS: input.actions.join(','),
        WORKER_WAIT_SECONDS: '5',
        ...input.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.once('exit', () => (this.exited = true));
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.join('').includes('started')) {
      if (this.exited) throw new Error(`the remote worker exited:\n${this.output.join('')}`);
      if (Date.now() > deadline) throw new Error(`the remote worker did not start:\n${this.output.join('')}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  kill9(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8000);
    await gone;
    clearTimeout(timer);
  }
}
