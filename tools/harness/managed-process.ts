import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Program, REPO_ROOT } from './repo-root';

/** How a child process ended: `code` null when a signal ended it (or it never started). */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Where a child's stdout and stderr go: kept in memory (tests read it, for instance for leaked
 * secrets), appended to a log file (a restarted process keeps one log), dropped, or only its
 * stderr passed on to ours.
 */
export type ProcessOutput = 'keep' | 'discard' | 'stderr' | { readonly logFile: string };

export interface ManagedProcessInput {
  readonly program: Program;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly output?: ProcessOutput;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  readonly stopGraceMs?: number;
}

const DEFAULT_STOP_GRACE_MS = 5_000;
const WAIT_POLL_MS = 50;

/**
 * One child process of the harness (the API, a worker, a remote worker, a peer's worker): its
 * output, how it ended, and the two ways to end it, SIGTERM with a grace period or kill -9.
 */
export class ManagedProcess {
  /** What it wrote, when its output is kept. */
  readonly output: string[] = [];
  /** Settles once the process has ended, however it ended; never rejects. */
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private exit: ExitStatus | undefined;
  private readonly outputFile: string | undefined;
  /** The log file's size when this process started: what it logged comes after. */
  private readonly logStart: number;

  constructor(private readonly input: ManagedProcessInput) {
    const output = input.output ?? 'keep';
    this.outputFile = typeof output === 'object' ? output.logFile : undefined;
    this.logStart = this.outputFile === undefined ? 0 : sizeOf(this.outputFile);
    const logFd = this.outputFile === undefined ? undefined : openSync(this.outputFile, 'a');
    try {
      this.child = spawn(input.program.command, [...input.program.args], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...input.env },
        stdio: stdioFor(output, logFd),
      });
    } finally {
      // The child holds its own copy of the descriptor.
      if (logFd !== undefined) closeSync(logFd);
    }
    if (output === 'keep') {
      this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
      this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    }
    this.exited = new Promise<ExitStatus>((resolveExit) => {
      this.child.once('exit', (code, signal) => resolveExit({ code, signal }));
      // A spawn failure emits 'error' and never 'exit'.
      this.child.once('error', () => resolveExit({ code: null, signal: null }));
    });
    void this.exited.then((status) => (this.exit = status));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What it has written since it started (kept output, or its part of the log file). */
  logged(): string {
    return this.outputFile === undefined
      ? this.output.join('')
      : tailOf(this.outputFile, Math.max(0, sizeOf(this.outputFile) - this.logStart));
  }

  /**
   * Resolves once `text` appears in its output. A process that ends first, or does not get
   * there in time, is a failure; one that is late is killed, as it is of no use.
   */
  async waitForOutput(input: { text: string; what: string; timeoutMs: number }): Promise<void> {
    const deadline = Date.now() + input.timeoutMs;
    while (!this.logged().includes(input.text)) {
      if (this.exit)
        throw new Error(`${input.what} exited (code ${this.exit.code ?? this.exit.signal}) before it was ready${this.evidence()}`);
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error(`${input.what} was not ready after ${input.timeoutMs} ms${this.evidence()}`);
      }
      await pause(WAIT_POLL_MS);
    }
  }

  /** kill -9: no shutdown hook runs (a worker's leases are left to run out); resolves once it is gone. */
  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not ended after the grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.input.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private evidence(): string {
    return this.outputFile === undefined ? `:\n${this.output.join('')}` : `; see ${this.outputFile}`;
  }
}

function stdioFor(output: ProcessOutput, logFd: number | undefined): 'ignore' | Array<'ignore' | 'pipe' | 'inherit' | number> {
  if (logFd !== undefined) return ['ignore', logFd, logFd];
  if (output === 'keep') return ['ignore', 'pipe', 'pipe'];
  if (output === 'stderr') return ['ignore', 'ignore', 'inherit'];
  return 'ignore';
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolvePause) => setTimeout(resolvePause, ms));
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `bytes` of a file ('' when it cannot be read): where a crashed process's reason usually is. */
export function tailOf(file: string, bytes: number): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(bytes, size);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}
