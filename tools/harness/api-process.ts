import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@lib/database';
import { loopbackUrl } from './http-client';
import { ManagedProcess, pause } from './managed-process';
import { API_MAIN, nodeProgram, PRODUCTION_NODE_FLAGS } from './repo-root';

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;

export interface ApiProcessInput {
  readonly databaseUrl: string;
  /** The same port and admin key again restart the same service (the fault campaign); fresh ones by default. */
  readonly port?: number;
  readonly adminKey?: string;
  /** Appended to, so a restarted API keeps one log; a new file in the temp directory by default. */
  readonly logFile?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** The production V8 flags by default. */
  readonly nodeFlags?: readonly string[];
}

/**
 * The compiled API (dist/apps/api) in a child process, the way `npm run start:prod` runs it, on
 * loopback, logging to a file so that the terminal shows only the caller's progress.
 */
export class ApiProcess extends ManagedProcess {
  private constructor(
    readonly port: number,
    readonly adminKey: string,
    readonly logFile: string,
    input: ApiProcessInput,
  ) {
    super({
      program: nodeProgram(API_MAIN, input.nodeFlags ?? PRODUCTION_NODE_FLAGS),
      env: {
        DATABASE_URL: input.databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        BOOTSTRAP_ADMIN_KEY: adminKey,
        LOG_LEVEL: 'warn',
        ...input.env,
      },
      output: { logFile },
    });
  }

  get baseUrl(): string {
    return loopbackUrl(this.port);
  }

  /** Starts it and resolves once /health/ready answers 200. */
  static async start(input: ApiProcessInput): Promise<ApiProcess> {
    const port = input.port ?? (await freePort());
    const adminKey = input.adminKey ?? `harness-admin-${randomBytes(24).toString('hex')}`;
    const logFile = input.logFile ?? join(tmpdir(), `cp-api-${Date.now()}-${randomBytes(3).toString('hex')}.log`);
    const api = new ApiProcess(port, adminKey, logFile, input);
    try {
      await api.waitUntilReady();
    } catch (error) {
      await api.stop();
      throw error;
    }
    return api;
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the API exited before it was ready; see ${this.logFile}`);
      if (await answersReady(this.baseUrl)) return;
      await pause(READY_POLL_MS);
    }
    throw new Error(`the API was not ready after ${READY_TIMEOUT_MS} ms; see ${this.logFile}`);
  }
}

/** Whether /health/ready answers 200 (false while nothing listens yet, or the database is down). */
export async function answersReady(baseUrl: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
