import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Approvals reach their terminal states (seed 001): an approval whose run succeeded ends
 * `executed`, one whose run failed or timed out `execution_failed`, and one whose run was
 * cancelled (pending, approved or deferred) `invalidated`. The gate takes a second argument, so
 * its one-argument form goes (the routine defines the new one).
 */
export class ApprovalTerminalStates1795460000000 implements MigrationInterface {
  name = 'ApprovalTerminalStates1795460000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approvals DROP CONSTRAINT approvals_status_check`);
    await queryRunner.query(`ALTER TABLE approvals ADD CONSTRAINT approvals_status_check
      CHECK (status IN ('pending', 'approved', 'rejected', 'deferred', 'expired', 'invalidated', 'executed', 'execution_failed'))`);
    await queryRunner.query(`INSERT INTO status_transitions (axis, from_status, to_status) VALUES
      ('approval', 'approved', 'execution_failed'), ('approval', 'deferred', 'invalidated')`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS approval_gate(uuid)`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
