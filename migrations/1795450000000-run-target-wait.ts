import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run that waits for a target another run holds is marked once, when it starts waiting, so
 * its trail says so once (and once more when it gets the target), not at every retry.
 */
export class RunTargetWait1795450000000 implements MigrationInterface {
  name = 'RunTargetWait1795450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE execution_runs ADD COLUMN target_wait_started_at timestamptz`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
