import { Pool } from 'pg';
import { QUEUE_HEAD_CLAIM, queueHeadParameters } from '@lib/execution';
import { jsonHeaders, WorkerProcess } from '@tools/harness';
import { writeTransactionMark, writeTransactionsSince } from './database-stats';
import { LatencyRecorder } from './latency-recorder';

export interface DrainResult {
  readonly runs: number;
  readonly drainS: number;
  readonly runsPerS: number;
  /** Write transactions committed in the database while draining, per run (every process: claims, steps, ends, reaper ticks). */
  readonly commitsPerRun: number;
  readonly failed: number;
}

export interface WorkerScenarioResult {
  /** The main drain (BENCH_WORKER_RUNS, 10,000 by default), compared with graphile-worker. */
  readonly main: DrainResult;
  /** The same drain at a small and a large backlog: the queue's cost must not grow with its length. */
  readonly small: DrainResult;
  readonly large: DrainResult | null;
  /** Backlog: approval commit to step start, which is mostly time spent waiting in the queue. */
  readonly backlogClaim: Record<50 | 99, number>;
  /** Idle workers: approval commit to step start, one run at a time (the NOTIFY wake-up path). */
  readonly idleClaim: Record<50 | 99, number>;
  /** EXPLAIN (ANALYZE, BUFFERS) of one claim of 4 with the large backlog queued (rolled back); null without it. */
  readonly largeBacklogClaimPlan: { readonly text: string; readonly executionMs: number } | null;
}

interface ScenarioInput {
  readonly baseUrl: string;
  readonly requesterKey: string;
  readonly databaseUrl: string;
  readonly tag: string;
  readonly runs: number;
  readonly smallBacklog: number;
  /** 0: no large drain. */
  readonly largeBacklog: number;
  readonly progress: (message: string) => void;
}

/**
 * The queue under load: approved ops.noop runs (level 0, approved at create) are queued while no
 * worker runs, then two worker processes (4 runs at once each) drain them; at a small backlog,
 * the main one, and a large one. Then, with the workers idle, runs arrive one at a time and the
 * claim latency is the wake-up path alone.
 */
export async function runWorkerScenario(input: ScenarioInput): Promise<WorkerScenarioResult> {
  const pool = new Pool({ connectionString: input.databaseUrl, max: 2 });
  try {
    let largeBacklogClaimPlan: WorkerScenarioResult['largeBacklogClaimPlan'] = null;
    const drain = async (name: string, runs: number) => {
      input.progress(`worker: queueing ${runs} approved noop runs, then draining them with 2 worker processes`);
      const project = `${input.tag}-${name}`;
      const result = await drainBacklog({
        ...input,
        pool,
        project,
        runs,
        beforeDrain: name === 'large' ? async () => void (largeBacklogClaimPlan = await explainClaim(pool, `${project}%`)) : undefined,
      });
      input.progress(`worker: ${runs} runs drained in ${result.drainS.toFixed(1)} s = ${result.runsPerS.toFixed(1)} runs/s`);
      return result;
    };
    const small = await drain('small', input.smallBacklog);
    const main = await drain('main', input.runs);
    const backlogClaim = await claimLatencies(pool, `${input.tag}-main`);
    const large = input.largeBacklog > 0 ? await drain('large', input.largeBacklog) : null;
    input.progress('worker: idle claim latency, 200 runs one at a time');
    const idleClaim = await idleLatency({ ...input, pool, project: `${input.tag}-idle` });
    return { main, small, large, backlogClaim, idleClaim, largeBacklogClaimPlan };
  } finally {
    await pool.end();
  }
}

/** The worker's claim statement at the current backlog: its plan and time, in a transaction rolled back (it locks rows). */
async function explainClaim(pool: Pool, projectPattern: string): Promise<{ text: string; executionMs: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${QUEUE_HEAD_CLAIM}`,
      queueHeadParameters({ projectPattern, limit: 4 }),
    );
    await client.query('ROLLBACK');
    const text = result.rows.map((row) => row['QUERY PLAN']).join('\n');
    const executionMs = Number(/Execution Time: ([0-9.]+) ms/.exec(text)?.[1] ?? NaN);
    return { text, executionMs };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function drainBacklog(
  input: ScenarioInput & { pool: Pool; project: string; runs: number; beforeDrain?: () => Promise<void> },
): Promise<DrainResult> {
  await createRuns({ ...input, count: input.runs, concurrency: 32 });
  if (input.beforeDrain) await input.beforeDrain();
  const commitsBefore = await writeTransactionMark(input.pool);
  const workers = ['a', 'b'].map((name) =>
    startBenchWorker({ databaseUrl: input.databaseUrl, id: `${input.project}-${name}`, projects: `${input.project}%` }),
  );
  try {
    const failed = await waitDrained(input.pool, input.project, input.runs);
    const drainS = await drainSeconds(input.pool, input.project);
    await Promise.all(workers.map((worker) => worker.stop()));
    const commits = await writeTransactionsSince(input.pool, commitsBefore);
    return { runs: input.runs, drainS, runsPerS: input.runs / drainS, commitsPerRun: commits / input.runs, failed };
  } finally {
    await Promise.all(workers.map((worker) => worker.kill9()));
  }
}

async function idleLatency(input: ScenarioInput & { pool: Pool; project: string }): Promise<Record<50 | 99, number>> {
  const workers = ['i1', 'i2'].map((name) =>
    startBenchWorker({ databaseUrl: input.databaseUrl, id: `${input.project}-${name}`, projects: `${input.project}%` }),
  );
  try {
    // Started and listening before the first run arrives.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    const runs = 200;
    for (let index = 0; index < runs; index++) {
      await createRuns({ ...input, count: 1, concurrency: 1, offset: index });
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
    await waitDrained(input.pool, input.project, runs);
    return await claimLatencies(input.pool, input.project);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

export async function createRuns(input: {
  baseUrl: string;
  requesterKey: string;
  project: string;
  count: number;
  concurrency: number;
  offset?: number;
  action?: string;
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
          action: input.action ?? 'ops.noop',
          targets: [`asset-${((input.offset ?? 0) + index) % 500}`],
        }),
      });
      if (response.status !== 201)
        throw new Error(`creating a queued run answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, () => loop()));
}

/** A worker process as the bench runs it: logging at warn (its output is dropped), so logging costs it little. */
export function startBenchWorker(input: {
  databaseUrl: string;
  id: string;
  projects: string;
  env?: Readonly<Record<string, string>>;
}): WorkerProcess {
  return new WorkerProcess({ ...input, env: { LOG_LEVEL: 'warn', ...input.env }, output: 'discard' });
}

/** Waits until every run of the project has ended; returns how many did not succeed. */
export async function waitDrained(pool: Pool, project: string, expected: number): Promise<number> {
  const deadline = Date.now() + 1_200_000;
  for (;;) {
    const { rows } = await pool.query(
      `SELECT count(*) FILTER (WHERE status IN ('SUCCEEDED', 'FAILED', 'DEAD_LETTERED', 'TIMED_OUT', 'CANCELLED'))::int AS ended,
              count(*) FILTER (WHERE status IN ('FAILED', 'DEAD_LETTERED', 'TIMED_OUT', 'CANCELLED'))::int AS failed
       FROM execution_runs WHERE project_id = $1`,
      [project],
    );
    if (rows[0].ended >= expected) return rows[0].failed;
    if (Date.now() > deadline) throw new Error(`the workers did not drain ${project} in 20 minutes`);
    // The drain is timed by the database's clock, not by this poll: it need not be frequent, and
    // it counts over the whole backlog, so a frequent one would take CPU from the workers.
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

/** From the first run's start to the last run's end, by the database clock: the workers' boot is not part of the drain. */
export async function drainSeconds(pool: Pool, project: string): Promise<number> {
  const { rows } = await pool.query<{ s: number }>(
    `SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 AS s FROM execution_runs WHERE project_id = $1`,
    [project],
  );
  return rows[0].s;
}

/** Approval commit (the lane's decided_at) to the first step's start, per run. */
export async function claimLatencies(pool: Pool, project: string): Promise<Record<50 | 99, number>> {
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT extract(epoch FROM (s.started_at - a.decided_at)) * 1000 AS ms
     FROM execution_runs r
     JOIN approvals a ON a.execution_run_id = r.id AND a.status IN ('approved', 'executed')
     JOIN execution_steps s ON s.execution_run_id = r.id AND s.step_index = 0 AND s.attempt = 1
     WHERE r.project_id = $1`,
    [project],
  );
  const recorder = new LatencyRecorder();
  for (const row of rows) recorder.record(Number(row.ms));
  return recorder.percentiles([50, 99] as const);
}
