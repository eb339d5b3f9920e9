import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProgram, REPO_ROOT } from './repo-root';

const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 15_000;

/**
 * A real PostgreSQL that the caller can stop and start again on the same port and data
 * directory, so its clients keep one URL across the restart. The server lives in a child
 * process (postgres-child.js) driven over stdin; see there why.
 */
export class PostgresProcess {
  private readonly child: ChildProcess;
  private readonly answers: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private buffered = '';
  private readonly gone: Promise<void>;
  /** Where the server really keeps its data (as root, it may be elsewhere than asked). */
  private realDataDir: string | null = null;

  /** With a `logFile`, the server's log is appended to it; without, the child's errors reach this process's stderr. */
  constructor(input: { dataDir: string; port: number; logFile?: string }) {
    const logFd = input.logFile === undefined ? undefined : openSync(input.logFile, 'a');
    const program = nodeProgram('tools/harness/postgres-child.js');
    try {
      this.child = spawn(program.command, [...program.args, input.dataDir, String(input.port), ...(logFd === undefined ? [] : ['log'])], {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', logFd ?? 'inherit'],
      });
    } finally {
      if (logFd !== undefined) closeSync(logFd);
    }
    this.gone = new Promise((resolveGone) => {
      this.child.once('exit', () => resolveGone());
      this.child.once('error', () => resolveGone());
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.receive(chunk));
    // Answers nobody waits for any more end up here; a closed pipe must not crash the caller.
    this.child.stdin?.on('error', () => undefined);
  }

  get dataDir(): string | null {
    return this.realDataDir;
  }

  /** Starts the server (initialising the data directory the first time); answers its URL. */
  async start(): Promise<string> {
    const answer = await this.send('start', START_TIMEOUT_MS);
    const [word, url, dataDir] = answer.split(' ');
    if (word !== 'started' || !url || !dataDir) throw new Error(`PostgreSQL did not start: ${answer}`);
    this.realDataDir = dataDir;
    return url;
  }

  /** A fast shutdown (SIGINT): open connections are cut, as in a crash of the server's host. */
  async stop(): Promise<void> {
    const answer = await this.send('stop', STOP_TIMEOUT_MS);
    if (answer !== 'stopped') throw new Error(`PostgreSQL did not stop: ${answer}`);
  }

  /**
   * Stops the server and ends the child. Should the child not end in time, it is killed, and so
   * is the postmaster it leaves behind (found by its pid file), so nothing outlives the caller.
   */
  async exit(): Promise<void> {
    this.child.stdin?.end('exit\n');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolveLate) => (timer = setTimeout(() => resolveLate('late'), EXIT_TIMEOUT_MS)));
    const outcome = await Promise.race([this.gone, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return;
    this.child.kill('SIGKILL');
    killPostmaster(this.realDataDir);
    await this.gone;
  }

  private send(command: string, timeoutMs: number): Promise<string> {
    const answer =
      this.answers.length > 0
        ? Promise.resolve(this.answers.shift() as string)
        : new Promise<string>((resolveLine) => (this.waiting = resolveLine));
    this.child.stdin?.write(`${command}\n`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer "${command}" within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      const deliver = this.waiting;
      this.waiting = null;
      if (deliver) deliver(line);
      else this.answers.push(line);
    }
  }
}

/** SIGQUIT (immediate shutdown) to the postmaster named in the data directory's pid file, if any. */
function killPostmaster(dataDir: string | null): void {
  const pidFile = dataDir ? join(dataDir, 'postmaster.pid') : null;
  if (!pidFile || !existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
}
