import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { EXECUTION_LOCKS_TABLE } from '../execution.tables';

const T = EXECUTION_LOCKS_TABLE.name;

/** The execution lib's SQL for execution_locks: a run's lease-bound hold on each of its targets. */
@Injectable()
export class RunLockRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Takes every target of several runs in one statement (in target order, so two workers never
   * deadlock), each new or taken over from a holder whose lease ran out. Answers the runs that
   * got all of theirs; a run that missed one keeps none. The caller gives no target to two runs.
   */
  async takeAll(input: {
    runs: ReadonlyArray<{ runId: string; targets: readonly string[] }>;
    workerId: string;
    leaseMs: number;
  }): Promise<Set<string>> {
    const targets = input.runs.flatMap((run) => run.targets);
    const runIds = input.runs.flatMap((run) => run.targets.map(() => run.runId));
    if (targets.length === 0) return new Set(input.runs.map((run) => run.runId));
    const taken = await this.uow.query<{ execution_run_id: string }>(
      `INSERT INTO ${T} (target, execution_run_id, worker_id, lease_expires_at)
       SELECT x.target, x.run_id, $3, now() + make_interval(secs => $4::double precision / 1000)
       FROM unnest($1::text[], $2::uuid[]) AS x(target, run_id) ORDER BY x.target
       ON CONFLICT (target) DO UPDATE
         SET execution_run_id = EXCLUDED.execution_run_id, worker_id = EXCLUDED.worker_id,
             acquired_at = now(), lease_expires_at = EXCLUDED.lease_expires_at
         WHERE ${T}.lease_expires_at < now() OR ${T}.execution_run_id = EXCLUDED.execution_run_id
       RETURNING execution_run_id`,
      [targets, runIds, input.workerId, input.leaseMs],
    );
    const counts = new Map<string, number>();
    for (const row of taken) counts.set(row.execution_run_id, (counts.get(row.execution_run_id) ?? 0) + 1);
    const complete = new Set(input.runs.filter((run) => (counts.get(run.runId) ?? 0) === run.targets.length).map((run) => run.runId));
    const partial = input.runs.filter((run) => !complete.has(run.runId) && counts.has(run.runId)).map((run) => run.runId);
    if (partial.length > 0) await this.uow.query(`DELETE FROM ${T} WHERE execution_run_id = ANY($1)`, [partial]);
    return complete;
  }

  async renew(input: { runId: string; workerId: string; leaseMs: number }): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000) WHERE execution_run_id = $1 AND worker_id = $2`,
      [input.runId, input.workerId, input.leaseMs],
    );
  }
}
