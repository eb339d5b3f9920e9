import { ManagedProcess, nodeProgram } from '@tools/harness';
import { makeWorkerUtils, runMigrations } from 'graphile-worker';
import { Pool } from 'pg';
import { writeTransactionMark, writeTransactionsSince } from './database-stats';

export interface GraphileResult {
  readonly jobs: number;
  readonly drainS: number;
  readonly jobsPerS: number;
  /** Write transactions per job (see writeTransactionMark). */
  readonly commitsPerJob: number;
}

/**
 * The peer: graphile-worker 0.17.3 on the same PostgreSQL, in the same bench run, draining the
 * same number of no-op jobs with the same shape of workers (2 processes x 4). Unbatched is its
 * default; batched is its local queue plus batched completions.
 */
export async function measureGraphile(input: { databaseUrl: string; jobs: number; batched: boolean }): Promise<GraphileResult> {
  await runMigrations({ connectionString: input.databaseUrl, logger: undefined });
  const utils = await makeWorkerUtils({ connectionString: input.databaseUrl });
  const pool = new Pool({ connectionString: input.databaseUrl, max: 1 });
  const children: ManagedProcess[] = [];
  try {
    for (let offset = 0; offset < input.jobs; offset += 1000) {
      const count = Math.min(1000, input.jobs - offset);
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: 'noop', payload: {} })));
    }
    const commitsBefore = await writeTransactionMark(pool);
    for (let index = 0; index < 2; index++) children.push(startChild(input.databaseUrl, input.batched));
    const drainS = await drainSeconds(pool, input.jobs);
    await Promise.all(children.map((child) => child.stop()));
    children.length = 0;
    const commits = await writeTransactionsSince(pool, commitsBefore);
    return { jobs: input.jobs, drainS, jobsPerS: input.jobs / drainS, commitsPerJob: commits / input.jobs };
  } finally {
    await Promise.all(children.map((child) => child.kill9()));
    await utils.release();
    await pool.end();
  }
}

function startChild(databaseUrl: string, batched: boolean): ManagedProcess {
  return new ManagedProcess({
    program: nodeProgram('dist/tools/bench/graphile-worker-child.js'),
    env: { DATABASE_URL: databaseUrl, GRAPHILE_CONCURRENCY: '4', GRAPHILE_BATCHED: batched ? '1' : '0' },
    output: 'stderr',
  });
}

/** From the first job taken to the last one done (polled every 20 ms): the processes' boot is not part of the drain. */
async function drainSeconds(pool: Pool, jobs: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  let first: number | null = null;
  for (;;) {
    const { rows } = await pool.query<{ left: number; locked: number }>(
      `SELECT count(*)::int AS left, count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS locked FROM graphile_worker.jobs`,
    );
    const { left, locked } = rows[0];
    if (first === null && (left < jobs || locked > 0)) first = performance.now();
    if (left === 0) return (performance.now() - (first ?? performance.now())) / 1000;
    if (Date.now() > deadline) throw new Error('graphile-worker did not drain its jobs in 10 minutes');
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}
