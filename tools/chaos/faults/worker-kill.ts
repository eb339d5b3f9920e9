import { CampaignContext } from '../campaign-context';
import { pause, progress } from '../progress';

export interface WorkerKillResult {
  readonly killed_worker: string | null;
  /** Runs the killed worker held (CLAIMED or RUNNING) when it died. */
  readonly runs_interrupted: string[];
  readonly replacement_worker: string | null;
}

const POLL_MS = 100;

/**
 * kill -9 of a worker in the middle of multi-step runs: it is picked when it holds a run that
 * has finished some steps and not all, so the run must resume at its first unfinished step
 * under another worker. A replacement worker (a new WORKER_ID) is started at once.
 */
export async function killWorkerMidRun(context: CampaignContext, waitMs: number): Promise<WorkerKillResult> {
  const victimId = await findWorkerMidRun(context, waitMs);
  const victim = context.stack.workers.find((worker) => currentWorkerId(worker) === victimId) ?? context.stack.workers[0];
  const killedId = currentWorkerId(victim);
  progress(
    `fault: kill -9 ${victim.name} (${killedId})${victimId ? ' in the middle of a multi-step run' : ' (no multi-step run was in flight)'}`,
  );
  await victim.kill9();
  const { rows } = await context.pool.query<{ id: string }>(
    `SELECT id FROM execution_runs WHERE worker_id = $1 AND status IN ('CLAIMED', 'RUNNING')`,
    [killedId],
  );
  progress(`  it held ${rows.length} run(s); starting a replacement`);
  const replacement = await victim.start();
  return { killed_worker: killedId, runs_interrupted: rows.map((row) => row.id), replacement_worker: replacement.id };
}

function currentWorkerId(worker: CampaignContext['stack']['workers'][number]): string | null {
  try {
    return worker.current.id;
  } catch {
    return null;
  }
}

/** The worker holding the most runs that have some steps done and some to go, or null if none shows up in time. */
async function findWorkerMidRun(context: CampaignContext, waitMs: number): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const { rows } = await context.pool.query<{ worker_id: string }>(
      `SELECT r.worker_id
       FROM execution_runs r
       JOIN LATERAL (SELECT count(*) FILTER (WHERE s.status IN ('succeeded', 'skipped')) AS done
                     FROM execution_steps s WHERE s.execution_run_id = r.id) steps ON true
       WHERE r.status = 'RUNNING' AND r.action = 'ops.sleep'
         AND steps.done >= 1 AND steps.done < jsonb_array_length(r.targets)
       GROUP BY r.worker_id ORDER BY count(*) DESC LIMIT 1`,
    );
    if (rows.length > 0) return rows[0].worker_id;
    await pause(POLL_MS);
  }
  return null;
}
