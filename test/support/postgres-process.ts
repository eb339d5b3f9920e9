import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** A real PostgreSQL server in a child process, which a test may stop and start again (see postgres-child.js). */
export class PostgresProcess {
  private readonly child: ChildProcess;
  private readonly answers: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private buffered = '';

  constructor(dataDir: string, port: number) {
    this.child = spawn(
      process.execPath,
      ['-r', resolve(ROOT, 'scripts/register-paths.js'), resolve(__dirname, 'postgres-child.js'), dataDir, String(port)],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.buffered += chunk;
      let end;
      while ((end = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        if (this.waiting) {
          const deliver = this.waiting;
          this.waiting = null;
          deliver(line);
        } else this.answers.push(line);
      }
    });
  }

  /** Starts the server (initialising its data directory the first time); answers its URL. */
  async start(): Promise<string> {
    const answer = await this.send('start');
    if (!answer.startsWith('started ')) throw new Error(`PostgreSQL did not start: ${answer}`);
    return answer.slice('started '.length);
  }

  async stop(): Promise<void> {
    const answer = await this.send('stop');
    if (answer !== 'stopped') throw new Error(`PostgreSQL did not stop: ${answer}`);
  }

  async exit(): Promise<void> {
    const gone = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.stdin?.end('exit\n');
    await gone;
  }

  private send(command: string): Promise<string> {
    const answer =
      this.answers.length > 0
        ? Promise.resolve(this.answers.shift() as string)
        : new Promise<string>((resolveLine) => (this.waiting = resolveLine));
    this.child.stdin?.write(`${command}\n`);
    return answer;
  }
}
