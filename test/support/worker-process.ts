import { WorkerProcess } from '@tools/harness';

/**
 * Short leases and polls, so the suite sees a lease run out, a retry and an abort within a
 * test's time. Only what the suite needs differs from the harness's worker.
 */
const TEST_WORKER_ENV: Readonly<Record<string, string>> = {
  WORKER_LEASE_MS: '1500',
  WORKER_POLL_MS: '200',
  WORKER_BACKOFF_BASE_MS: '50',
  WORKER_ABORT_GRACE_MS: '300',
};

/**
 * A real worker process (the compiled apps/worker) on the suite's database, serving only the
 * projects that match `projects`, so the suite's other runs are left alone. Its output is kept,
 * so tests can look for leaked secrets in what it logged.
 */
export function testWorker(input: { id: string; projects: string; env?: Record<string, string> }): WorkerProcess {
  return new WorkerProcess({ id: input.id, projects: input.projects, env: { ...TEST_WORKER_ENV, ...input.env } });
}
