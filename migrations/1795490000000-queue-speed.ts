import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A queue whose cost does not grow with its length. The claim reads the head of the queue in
 * the order of an index (available_at, created_at) of RUN runs, locks a batch with SKIP LOCKED,
 * and only then asks the approval gate about the rows it holds. Claiming and starting are one
 * step now: a claimed run goes straight from RUN to RUNNING, with its first step, in the
 * transaction that claims it (CLAIMED stays for runs claimed the old way and for the reaper).
 */
export class QueueSpeed1795490000000 implements MigrationInterface {
  name = 'QueueSpeed1795490000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`INSERT INTO status_transitions (axis, from_status, to_status) VALUES ('run', 'RUN', 'RUNNING')`);
    await queryRunner.query(`DROP INDEX execution_runs_claimable`);
    await queryRunner.query(`CREATE INDEX execution_runs_queue ON execution_runs (available_at, created_at) WHERE status = 'RUN'`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
