import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { EXECUTION_LOCKS_TABLE } from '../execution.tables';

const T = EXECUTION_LOCKS_TABLE.name;

/** The execution lib's SQL for execution_locks: a run's lease-bound hold on each of its targets. */
@Injectable()
export class RunLockRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Takes one target for the run, or takes it over from a holder whose lease ran out. False when a live run holds it. */
  async take(input: { target: string; runId: string; workerId: string; leaseMs: number }): Promise<boolean> {
    const taken = await this.uow.query(
      `INSERT INTO ${T} (target, execution_run_id, worker_id, lease_expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
       ON CONFLICT (target) DO UPDATE
         SET execution_run_id = EXCLUDED.execution_run_id, worker_id = EXCLUDED.worker_id,
             acquired_at = now(), lease_expires_at = EXCLUDED.lease_expires_at
         WHERE ${T}.lease_expires_at < now() OR ${T}.execution_run_id = EXCLUDED.execution_run_id
       RETURNING target`,
      [input.target, input.runId, input.workerId, input.leaseMs],
    );
    return taken.length > 0;
  }

  async renew(input: { runId: string; workerId: string; leaseMs: number }): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000) WHERE execution_run_id = $1 AND worker_id = $2`,
      [input.runId, input.workerId, input.leaseMs],
    );
  }

  async releaseAll(runId: string): Promise<void> {
    await this.uow.query(`DELETE FROM ${T} WHERE execution_run_id = $1`, [runId]);
  }
}
