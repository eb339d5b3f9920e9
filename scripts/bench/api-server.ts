import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@lib/database';

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
const KILL_GRACE_MS = 5_000;
/** The API's V8 flags, as `npm start` and the container run it (BENCH_API_NODE_FLAGS overrides, for experiments). */
const API_NODE_FLAGS = (process.env.BENCH_API_NODE_FLAGS ?? '--max-old-space-size=128').split(' ').filter(Boolean);

/** How a child process ended: `code` null when a signal ended it (or it never started). */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ApiServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly adminKey: string;
  readonly logFile: string;
  /** Settles once the process has ended, however it ended. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  stop(): Promise<void>;
  /** kill -9: no shutdown hook runs; resolves once the process is gone. */
  kill9(): Promise<void>;
}

export interface StartApiServerInput {
  readonly repoRoot: string;
  readonly databaseUrl: string;
  /** The same port and admin key again restart the same service (the chaos campaign); fresh ones by default. */
  readonly port?: number;
  readonly adminKey?: string;
  /** Appended to, so a restarted API keeps one log. */
  readonly logFile?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The compiled API (dist/) in a child process, the way `npm run start:prod` runs it, logging
 * to a file so the terminal shows only the bench. Resolves once /health/ready answers 200.
 */
export async function startApiServer(input: StartApiServerInput): Promise<ApiServer> {
  const port = input.port ?? (await freePort());
  const adminKey = input.adminKey ?? `bench-admin-${randomBytes(24).toString('hex')}`;
  const logFile = input.logFile ?? join(tmpdir(), `cp-bench-api-${Date.now()}.log`);
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [...API_NODE_FLAGS, '-r', resolve(input.repoRoot, 'scripts/register-paths.js'), resolve(input.repoRoot, 'dist/apps/api/src/main.js')],
      {
        cwd: input.repoRoot,
        env: {
          ...process.env,
          DATABASE_URL: input.databaseUrl,
          PORT: String(port),
          HOST: '127.0.0.1',
          BOOTSTRAP_ADMIN_KEY: adminKey,
          LOG_LEVEL: 'warn',
          ...input.env,
        },
        stdio: ['ignore', logFd, logFd],
      },
    );
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    // A spawn failure emits 'error' and never 'exit'.
    child.once('error', () => resolveExit({ code: null, signal: null }));
  });
  const server: ApiServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    adminKey,
    logFile,
    exited,
    stop: () => stopChild(child, exited),
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntilReady(server.baseUrl, exited, logFile);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(baseUrl: string, exited: Promise<ExitStatus>, logFile: string): Promise<void> {
  let exit: ExitStatus | undefined;
  void exited.then((status) => (exit = status));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`the API exited with code ${exit.code ?? exit.signal} before it was ready; see ${logFile}`);
    if (await answersReady(baseUrl)) return;
    await pause(READY_POLL_MS);
  }
  throw new Error(`the API was not ready after ${READY_TIMEOUT_MS} ms; see ${logFile}`);
}

async function answersReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    // Not listening yet.
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<ExitStatus>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout('timeout'), KILL_GRACE_MS);
  });
  const outcome = await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolvePause) => setTimeout(resolvePause, ms));
}
