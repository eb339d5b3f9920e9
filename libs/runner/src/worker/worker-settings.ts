import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** How a worker behaves; read once from the environment. */
export interface WorkerSettings {
  readonly workerId: string;
  /** How long a claim stays valid without a heartbeat. */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** Runs carried out at once by this process. */
  readonly concurrency: number;
  /** Fallback poll when no NOTIFY arrives. */
  readonly pollMs: number;
  /** First retry delay; doubled per attempt, with jitter. */
  readonly backoffBaseMs: number;
  /** How long after a cancel request or timeout a step that ignores its abort is abandoned. */
  readonly abortGraceMs: number;
  /** How long a run whose target is locked waits before it is offered again. */
  readonly lockWaitMs: number;
  /** Projects this worker serves, as a LIKE pattern (`%`: all). */
  readonly projectPattern: string;
}

export function readWorkerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const leaseMs = int(env.WORKER_LEASE_MS, 15_000);
  return {
    workerId: env.WORKER_ID ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    leaseMs,
    heartbeatMs: Math.max(100, Math.floor(leaseMs / 3)),
    concurrency: int(env.WORKER_CONCURRENCY, 4),
    pollMs: int(env.WORKER_POLL_MS, 1000),
    backoffBaseMs: int(env.WORKER_BACKOFF_BASE_MS, 1000),
    abortGraceMs: int(env.WORKER_ABORT_GRACE_MS, 2000),
    lockWaitMs: int(env.WORKER_LOCK_WAIT_MS, 250),
    projectPattern: env.WORKER_PROJECTS ?? '%',
  };
}

/** Exponential backoff with full jitter between half and one and a half times the step, capped at a minute. */
export function backoffMs(attempt: number, baseMs: number): number {
  const step = Math.min(60_000, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + Math.random()));
}

function int(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`expected a positive integer, got "${raw}"`);
  return value;
}
