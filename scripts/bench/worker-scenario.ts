import { ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { jsonHeaders } from './run-request';
import { LatencyRecorder } from './latency-recorder';
import { spawnWorker } from './worker-process';

export interface WorkerScenarioResult {
  readonly runs: number;
  readonly drainS: number;
  readonly runsPerS: number;
  /** Backlog: approval commit to step start, which is mostly time spent waiting in the queue. */
  readonly backlogClaim: Record<50 | 99, number>;
  /** Idle workers: approval commit to step start, one run at a time (the NOTIFY wake-up path). */
  readonly idleClaim: Record<50 | 99, number>;
  readonly failed: number;
}

/**
 * The queue under load: `runs` approved ops.noop runs (level 0, approved at create) are queued
 * while no worker runs, then two worker processes drain them. Then, with the workers idle,
 * runs arrive one at a time and the claim latency is the wake-up path alone.
 */
export async function runWorkerScenario(input: {
  repoRoot: string;
  baseUrl: string;
  requesterKey: string;
  databaseUrl: string;
  runs: number;
  tag: string;
}): Promise<WorkerScenarioResult> {
  const pool = new Pool({ connectionString: input.databaseUrl, max: 2 });
  const project = `${input.tag}-queue`;
  const workers: ChildProcess[] = [];
  try {
    await createRuns({ ...input, project, count: input.runs, concurrency: 32 });
    const started = Date.now();
    for (const name of ['w1', 'w2']) workers.push(startWorker(input.repoRoot, input.databaseUrl, `${input.tag}-${name}`, `${project}%`));
    const failed = await waitDrained(pool, project, input.runs);
    const drainS = (Date.now() - started) / 1000;
    const backlogClaim = await claimLatencies(pool, project);
    const idleProject = `${input.tag}-idle`;
    for (const worker of workers) worker.kill('SIGTERM');
    workers.length = 0;
    for (const name of ['w3', 'w4'])
      workers.push(startWorker(input.repoRoot, input.databaseUrl, `${input.tag}-${name}`, `${idleProject}%`));
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    const idleRuns = Math.min(200, input.runs);
    for (let index = 0; index < idleRuns; index++) {
      await createRuns({ ...input, project: idleProject, count: 1, concurrency: 1, offset: index });
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
    await waitDrained(pool, idleProject, idleRuns);
    const idleClaim = await claimLatencies(pool, idleProject);
    return { runs: input.runs, drainS, runsPerS: input.runs / drainS, backlogClaim, idleClaim, failed };
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await pool.end();
  }
}

async function createRuns(input: {
  baseUrl: string;
  requesterKey: string;
  project: string;
  count: number;
  concurrency: number;
  offset?: number;
}): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < input.count) {
      const index = next++;
      const response = await fetch(`${input.baseUrl}/api/v1/execution/run`, {
        method: 'POST',
        headers: jsonHeaders(input.requesterKey),
        body: JSON.stringify({
          project_id: input.project,
          idempotency_key: `q-${(input.offset ?? 0) + index}`,
          action: 'ops.noop',
          targets: [`asset-${index % 500}`],
        }),
      });
      if (response.status !== 201)
        throw new Error(`creating a queued run answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, () => loop()));
}

function startWorker(repoRoot: string, databaseUrl: string, id: string, projects: string): ChildProcess {
  return spawnWorker({ repoRoot, databaseUrl, id, projects });
}

/** Waits until every run of the project has ended; returns how many did not succeed. */
async function waitDrained(pool: Pool, project: string, expected: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { rows } = await pool.query(
      `SELECT count(*) FILTER (WHERE status IN ('SUCCEEDED', 'FAILED', 'DEAD_LETTERED', 'TIMED_OUT', 'CANCELLED'))::int AS ended,
              count(*) FILTER (WHERE status <> 'SUCCEEDED' AND status IN ('FAILED', 'DEAD_LETTERED', 'TIMED_OUT', 'CANCELLED'))::int AS failed
       FROM execution_runs WHERE project_id = $1`,
      [project],
    );
    if (rows[0].ended >= expected) return rows[0].failed;
    if (Date.now() > deadline) throw new Error(`the workers did not drain ${project} in 10 minutes`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Approval commit (the lane's decided_at) to the first step's start, per run. */
async function claimLatencies(pool: Pool, project: string): Promise<Record<50 | 99, number>> {
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM (s.started_at - a.decided_at)) * 1000 AS ms
     FROM execution_runs r
     JOIN approvals a ON a.execution_run_id = r.id AND a.status = 'approved'
     JOIN execution_steps s ON s.execution_run_id = r.id AND s.step_index = 0 AND s.attempt = 1
     WHERE r.project_id = $1`,
    [project],
  );
  const recorder = new LatencyRecorder();
  for (const row of rows) recorder.record(Number(row.ms));
  return recorder.percentiles([50, 99] as const);
}
