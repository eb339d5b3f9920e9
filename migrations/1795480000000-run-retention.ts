import { MigrationInterface, QueryRunner } from 'typeorm';

/** The foreign keys that hang a row off a run or an approval, made to cascade. */
const CASCADING = [
  { table: 'approval_decisions', column: 'approval_id', references: 'approvals' },
  { table: 'approval_decisions', column: 'execution_run_id', references: 'execution_runs' },
  { table: 'governance_grants', column: 'approval_id', references: 'approvals' },
  { table: 'governance_grants', column: 'execution_run_id', references: 'execution_runs' },
  { table: 'execution_steps', column: 'execution_run_id', references: 'execution_runs' },
  { table: 'execution_locks', column: 'execution_run_id', references: 'execution_runs' },
  { table: 'execution_dlq', column: 'execution_run_id', references: 'execution_runs' },
] as const;

/**
 * The Phase-1 contract's cascade holds again: deleting a run deletes its approvals and
 * everything that hangs off it (votes, grants, steps, locks, dead letters); its audit events
 * stay (they reference nothing). The append-only guards of votes, grants and steps let a row go
 * only with its run (the routines say how); a run a worker holds (CLAIMED, RUNNING) cannot be
 * deleted. Indexes serve the cascade and retention's search for old ended runs.
 */
export class RunRetention1795480000000 implements MigrationInterface {
  name = 'RunRetention1795480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    for (const fk of CASCADING) {
      const name = `${fk.table}_${fk.column}_fkey`;
      await q(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${name}`);
      await q(
        `ALTER TABLE ${fk.table} ADD CONSTRAINT ${name} FOREIGN KEY (${fk.column}) REFERENCES ${fk.references} (id) ON DELETE CASCADE`,
      );
    }
    await q(`CREATE INDEX approval_decisions_run_idx ON approval_decisions (execution_run_id)`);
    await q(`CREATE INDEX execution_dlq_run_idx ON execution_dlq (execution_run_id)`);
    await q(`CREATE INDEX execution_runs_ended_idx ON execution_runs (updated_at)
             WHERE status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'REJECTED', 'EXPIRED')`);
    await q(`DROP TRIGGER execution_runs_guard ON execution_runs`);
    await q(`CREATE TRIGGER execution_runs_guard BEFORE INSERT OR UPDATE OR DELETE ON execution_runs
             FOR EACH ROW EXECUTE FUNCTION execution_runs_guard()`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
